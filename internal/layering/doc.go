// Package layering holds the test that keeps the README's package table
// honest: every library package is listed there, in dependency order, and
// imports only packages listed above it. Run it with
//
//	go test ./internal/layering
//
// Packages under an internal/ directory belong to the layer of the packages
// that import them, so their imports count as their importers'.
package layering
