// Package fonts embeds the TrueType fonts used for generated documents
// (PDF reports), so Vietnamese text renders the same on a closed network.
// DejaVu Sans comes from the npm package dejavu-fonts-ttf (see
// scripts/vendor-assets.sh); its licence is ttf/LICENSE-dejavu.txt.
package fonts

import _ "embed"

// Regular is DejaVu Sans.
//
//go:embed ttf/DejaVuSans.ttf
var Regular []byte

// Bold is DejaVu Sans Bold.
//
//go:embed ttf/DejaVuSans-Bold.ttf
var Bold []byte
