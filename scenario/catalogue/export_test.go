package catalogue

// RaceEnabled tells the external tests whether this is a -race build, in
// which the tiny allocator gives every object a block of its own.
const RaceEnabled = raceEnabled
