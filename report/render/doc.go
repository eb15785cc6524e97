// Package render draws weakscope's results model ([report.Results] and
// [report.Comparison]) in every form a person or a tool reads: aligned and
// Markdown tables, CSV, the Go benchmark format, a pprof retention profile,
// SVG charts, one self-contained HTML page, and a check's Markdown step
// summary and JUnit XML. Every view reads the same model; none parses
// another's text back.
//
// It is kept apart from package report because it brings tablewriter,
// gonum/plot and its fonts, and google/pprof: importing the scenario
// framework must not.
package render
