package bench

import (
	"slices"
	"time"
)

// Figure is one measured quantity: the median of its rounds, with min and max.
type Figure struct {
	Key    string    `json:"key"`
	Unit   string    `json:"unit"`
	Median float64   `json:"median"`
	Min    float64   `json:"min"`
	Max    float64   `json:"max"`
	Rounds []float64 `json:"rounds"`
}

func newFigure(key, unit string, rounds []float64) Figure {
	f := Figure{Key: key, Unit: unit, Rounds: rounds}
	if len(rounds) == 0 {
		return f
	}
	s := slices.Clone(rounds)
	slices.Sort(s)
	f.Min, f.Max = s[0], s[len(s)-1]
	f.Median = median(s)
	return f
}

// median of sorted values.
func median(s []float64) float64 {
	n := len(s)
	if n == 0 {
		return 0
	}
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// percentile (nearest rank) of durations, in milliseconds; d is sorted in place.
func percentileMS(d []time.Duration, p float64) float64 {
	if len(d) == 0 {
		return 0
	}
	slices.Sort(d)
	i := int(float64(len(d))*p/100+0.5) - 1
	i = max(0, min(i, len(d)-1))
	return ms(d[i])
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func mib(b int64) float64 { return float64(b) / (1 << 20) }
