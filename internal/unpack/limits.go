package unpack

import "time"

// Limits bound what one scan may unpack. Hitting one is a problem in the
// report; the scan goes on with what it has.
type Limits struct {
	MaxDepth      int           // nesting of layers (the target is depth 0)
	MaxLayerBytes int64         // bytes written by one layer
	MaxTotalBytes int64         // bytes written by the whole scan
	MaxRatio      float64       // bytes written by a layer / its input size, checked past RatioGrace
	RatioGrace    int64         // bytes a layer may write before MaxRatio applies
	MaxLayerFiles int           // entries of one layer
	MaxTotalFiles int           // entries of the whole scan
	MaxLayers     int           // layers of the whole scan
	LayerTimeout  time.Duration // wall time to extract one layer
}

// DefaultLimits are generous for real firmware (a few hundred MiB unpacked)
// and stop bombs long before they fill a disk.
func DefaultLimits() Limits {
	return Limits{
		MaxDepth:      16,
		MaxLayerBytes: 2 << 30,
		MaxTotalBytes: 8 << 30,
		MaxRatio:      250,
		RatioGrace:    64 << 20,
		MaxLayerFiles: 200_000,
		MaxTotalFiles: 1_000_000,
		MaxLayers:     10_000,
		LayerTimeout:  5 * time.Minute,
	}
}
