package market

import (
	"bytes"
	"fmt"
	"image/color"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
)

// Plot formats: the file extensions gonum/plot writes.
const (
	FormatSVG = "svg"
	FormatPNG = "png"
)

var (
	blue   = color.RGBA{R: 0x1f, G: 0x77, B: 0xb4, A: 0xff}
	orange = color.RGBA{R: 0xff, G: 0x7f, B: 0x0e, A: 0xff}
	grey   = color.RGBA{R: 0x80, G: 0x80, B: 0x80, A: 0xff}
)

func render(p *plot.Plot, format string) ([]byte, error) {
	w, err := p.WriterTo(8*vg.Inch, 4*vg.Inch, format)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if _, err := w.WriteTo(&buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// PlotPrice draws the spot price over time (LOOP per GPU-hour, hours since
// the start), with the reference price as a dashed line.
func PlotPrice(res *Result, format string) ([]byte, error) {
	p := plot.New()
	p.Title.Text = fmt.Sprintf("%s spot price, %s LP stakes, seed %d", res.Config.Class, res.Config.LPStake, res.Config.Seed)
	p.X.Label.Text = "days"
	p.Y.Label.Text = "LOOP per GPU-hour"
	pts := make(plotter.XYs, 0, len(res.Samples))
	for _, s := range res.Samples {
		if s.Spot > 0 {
			pts = append(pts, plotter.XY{X: s.At.Hours() / 24, Y: s.Spot / 1e6})
		}
	}
	if len(pts) == 0 {
		return nil, fmt.Errorf("no price to plot: the pool never held unsold time")
	}
	line, err := plotter.NewLine(pts)
	if err != nil {
		return nil, err
	}
	line.Color = blue
	ref, err := plotter.NewLine(plotter.XYs{{X: pts[0].X, Y: res.Summary.ReferencePrice / 1e6}, {X: pts[len(pts)-1].X, Y: res.Summary.ReferencePrice / 1e6}})
	if err != nil {
		return nil, err
	}
	ref.Color, ref.Dashes = grey, []vg.Length{vg.Points(4), vg.Points(4)}
	p.Add(plotter.NewGrid(), line, ref)
	p.Legend.Add("spot", line)
	p.Legend.Add("reference", ref)
	p.Legend.Top = true
	return render(p, format)
}

// PlotUtilisation draws the share of committed devices serving a lease and
// the sold devices' share over time.
func PlotUtilisation(res *Result, format string) ([]byte, error) {
	p := plot.New()
	p.Title.Text = fmt.Sprintf("%s utilisation, %s LP stakes, seed %d", res.Config.Class, res.Config.LPStake, res.Config.Seed)
	p.X.Label.Text = "days"
	p.Y.Label.Text = "share of committed devices"
	p.Y.Min, p.Y.Max = 0, 1
	var leased, sold plotter.XYs
	for _, s := range res.Samples {
		if s.Committed == 0 {
			continue
		}
		x := s.At.Hours() / 24
		leased = append(leased, plotter.XY{X: x, Y: float64(s.Leased) / float64(s.Committed)})
		sold = append(sold, plotter.XY{X: x, Y: float64(s.Sold) / float64(s.Committed)})
	}
	if len(leased) == 0 {
		return nil, fmt.Errorf("no committed device to plot")
	}
	l1, err := plotter.NewLine(leased)
	if err != nil {
		return nil, err
	}
	l2, err := plotter.NewLine(sold)
	if err != nil {
		return nil, err
	}
	l1.Color, l2.Color = blue, orange
	p.Add(plotter.NewGrid(), l1, l2)
	p.Legend.Add("leased", l1)
	p.Legend.Add("sold devices", l2)
	p.Legend.Top = true
	return render(p, format)
}

// Series is one line of a sweep plot: Y against the swept X values.
type Series struct {
	Name string
	X, Y []float64
}

// PlotSweep draws each series against the swept parameter (xLabel), with
// points and lines, e.g. the volatility against the LP stake length.
func PlotSweep(title, xLabel, yLabel string, series []Series, format string) ([]byte, error) {
	p := plot.New()
	p.Title.Text, p.X.Label.Text, p.Y.Label.Text = title, xLabel, yLabel
	p.Add(plotter.NewGrid())
	colors := []color.Color{blue, orange, grey, color.RGBA{R: 0x2c, G: 0xa0, B: 0x2c, A: 0xff}}
	for i, s := range series {
		pts := make(plotter.XYs, len(s.X))
		for j := range s.X {
			pts[j] = plotter.XY{X: s.X[j], Y: s.Y[j]}
		}
		line, points, err := plotter.NewLinePoints(pts)
		if err != nil {
			return nil, err
		}
		line.Color, points.Color = colors[i%len(colors)], colors[i%len(colors)]
		p.Add(line, points)
		p.Legend.Add(s.Name, line, points)
	}
	p.Legend.Top = true
	return render(p, format)
}
