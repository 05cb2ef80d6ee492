//go:build !race

package perms

const raceEnabled = false
