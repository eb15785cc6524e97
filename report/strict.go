package report

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
)

// checkStrict rejects what encoding/json would accept silently in a
// results document: an object with the same key twice (json keeps the
// last, so a baseline could hold a median outside its own range) and
// anything after the document. Errors say where, as a path such as
// scenarios[0].variants[1].metrics, and the byte offset.
func checkStrict(data []byte) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := walkValue(dec, data, ""); err != nil {
		return err
	}
	end := dec.InputOffset()
	if _, err := dec.Token(); err != io.EOF {
		at := end + int64(len(data[end:])-len(bytes.TrimLeft(data[end:], " \t\r\n")))
		return fmt.Errorf("invalid JSON: data after the document at offset %d", at)
	}
	return nil
}

// walkValue reads one value from dec, checking every object in it for
// duplicate keys.
func walkValue(dec *json.Decoder, data []byte, path string) error {
	tok, err := dec.Token()
	if err != nil {
		return fmt.Errorf("invalid JSON: %w", err)
	}
	switch tok {
	case json.Delim('{'):
		seen := map[string]bool{}
		for dec.More() {
			kt, err := dec.Token()
			if err != nil {
				return fmt.Errorf("invalid JSON: %w", err)
			}
			key, ok := kt.(string)
			if !ok {
				return fmt.Errorf("invalid JSON: object key %v at offset %d", describe(kt), dec.InputOffset())
			}
			// The key's opening quote, for the message.
			offset := int64(bytes.LastIndexByte(data[:dec.InputOffset()-1], '"'))
			if seen[key] {
				return fmt.Errorf("invalid JSON: duplicate key %q in %s at offset %d", key, orTop(path), offset)
			}
			seen[key] = true
			if err := walkValue(dec, data, join(path, key)); err != nil {
				return err
			}
		}
		if _, err := dec.Token(); err != nil { // the closing brace
			return fmt.Errorf("invalid JSON: %w", err)
		}
	case json.Delim('['):
		for i := 0; dec.More(); i++ {
			if err := walkValue(dec, data, path+"["+strconv.Itoa(i)+"]"); err != nil {
				return err
			}
		}
		if _, err := dec.Token(); err != nil {
			return fmt.Errorf("invalid JSON: %w", err)
		}
	}
	return nil
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func orTop(path string) string {
	if path == "" {
		return "the top-level object"
	}
	return path
}

func describe(tok json.Token) string {
	switch t := tok.(type) {
	case json.Delim:
		return fmt.Sprintf("%q", string(t))
	case string:
		return strconv.Quote(t)
	case nil:
		return "null"
	}
	return fmt.Sprint(tok)
}

var errEmpty = errors.New("invalid JSON: the file is empty")
