package mx

// Internal parsers exposed to the fuzz targets in package mx_test.
var (
	NormalizeName       = normalizeName
	ParseServer         = parseServer
	ParseAddressLiteral = parseAddressLiteral
)
