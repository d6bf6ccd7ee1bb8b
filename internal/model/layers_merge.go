package model

// Merging layers and the broadcasting rules they share with TF ops.

// mergeCheck applies Keras's elementwise merge rule to the non-batch
// shapes (aligned right, 1 broadcasts, None matches anything) and returns
// Keras 3's result: None wherever either side is None.
func (c *lcfg) mergeCheck(in []Shape) (Shape, error) {
	out := in[0][1:].Clone()
	for _, s := range in[1:] {
		b := s[1:]
		if len(out) < len(b) {
			out, b = b.Clone(), out
		}
		off := len(out) - len(b)
		for i, j := range b {
			o := out[off+i]
			switch {
			case o == None || j == None:
				out[off+i] = None
			case o == 1:
				out[off+i] = j
			case j == 1 || o == j:
			default:
				return nil, c.errf("inputs have incompatible shapes %s and %s", in[0], s)
			}
		}
	}
	batch := None
	for _, s := range in {
		switch {
		case s[0] == None:
		case batch == None:
			batch = s[0]
		case batch != s[0]:
			batch = -2 // two different batch sizes: Keras leaves it None
		}
	}
	if batch == -2 {
		batch = None
	}
	return append(Shape{batch}, out...), nil
}

// broadcast is NumPy/TensorFlow broadcasting of full shapes, None included:
// None against 1 stays None, None against n > 1 gives n.
func (c *lcfg) broadcast(in []Shape) (Shape, error) {
	out := in[0].Clone()
	for _, s := range in[1:] {
		b := s
		if len(out) < len(b) {
			out, b = b.Clone(), out
		}
		off := len(out) - len(b)
		for i, j := range b {
			o := out[off+i]
			switch {
			case o == 1:
				out[off+i] = j
			case j == 1 || o == j:
			case o == None:
				out[off+i] = j
			case j == None:
			default:
				return nil, c.errf("inputs have incompatible shapes %s and %s", in[0], s)
			}
		}
	}
	return out, nil
}

func (c *lcfg) minRankAll(in []Shape, n int) error {
	for _, s := range in {
		if err := c.minRank(s, n); err != nil {
			return err
		}
	}
	return nil
}

func mergeLayer(nIn int) *layerKind {
	return &layerKind{nIn: nIn, infer: func(c *lcfg, in []Shape) (Shape, error) {
		if err := c.minRankAll(in, 1); err != nil {
			return nil, err
		}
		out, err := c.mergeCheck(in)
		if err != nil || c.d == Keras3 {
			return out, err
		}
		// tf-keras runs the TensorFlow op, which broadcasts the full shapes.
		return c.broadcast(in)
	}}
}

var concatenateLayer = &layerKind{nIn: -1, infer: func(c *lcfg, in []Shape) (Shape, error) {
	a, err := c.integer("axis", -1)
	if err != nil {
		return nil, err
	}
	return c.concat(in, a)
}}

// concat joins shapes along axis a: the other sizes must match.
func (c *lcfg) concat(in []Shape, a int) (Shape, error) {
	rank := len(in[0])
	for _, s := range in {
		if len(s) != rank {
			return nil, c.errf("inputs must have the same rank, got %s and %s", in[0], s)
		}
	}
	if rank == 0 {
		return nil, c.errf("cannot concatenate scalars")
	}
	a, err := c.axis(a, rank)
	if err != nil {
		return nil, err
	}
	out := in[0].Clone()
	for i := 0; i < rank; i++ {
		if i == a {
			continue
		}
		known := None
		for _, s := range in {
			switch {
			case s[i] == None:
			case known == None:
				known = s[i]
			case known != s[i]:
				return nil, c.errf("inputs must match except on the concatenation axis, got %s and %s", in[0], s)
			}
		}
		if c.d == Keras2 { // TensorFlow's concat fills in sizes known from any input
			out[i] = known
		}
	}
	for _, s := range in[1:] {
		if out[a] == None || s[a] == None {
			out[a] = None
			break
		}
		if out[a], err = c.add(out[a], s[a]); err != nil {
			return nil, err
		}
	}
	return out, nil
}

var dotLayer = &layerKind{nIn: 2, infer: func(c *lcfg, in []Shape) (Shape, error) {
	s1, s2 := in[0], in[1]
	if err := c.minRankAll(in, 2); err != nil {
		return nil, err
	}
	ax, ok, err := c.ints("axes")
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, c.badf("config %q is missing", "axes")
	}
	if len(ax) == 1 {
		ax = []int{ax[0], ax[0]}
	}
	if len(ax) != 2 {
		return nil, c.errf("axes must have 1 or 2 values, got %s", tupleString(ax))
	}
	a1, err := c.axis(ax[0], len(s1))
	if err != nil {
		return nil, err
	}
	a2, err := c.axis(ax[1], len(s2))
	if err != nil {
		return nil, err
	}
	if a1 == 0 || a2 == 0 {
		return nil, c.errf("cannot take the dot product over the batch axis")
	}
	if s1[a1] != None && s2[a2] != None && s1[a1] != s2[a2] {
		return nil, c.errf("axis sizes differ: %d (axis %d of %s) and %d (axis %d of %s)", s1[a1], a1, s1, s2[a2], a2, s2)
	}
	out := append(Shape{}, s1[:a1]...)
	out = append(out, s1[a1+1:]...)
	for i, d := range s2 {
		if i != 0 && i != a2 {
			out = append(out, d)
		}
	}
	if len(out) == 1 {
		out = append(out, 1)
	}
	return out, nil
}}

// broadcastLayer computes an elementwise op on all inputs (CustomScaleLayer).
func broadcastLayer(nIn int) *layerKind {
	return &layerKind{nIn: nIn, infer: func(c *lcfg, in []Shape) (Shape, error) {
		return c.broadcast(in)
	}}
}

// isOp reports a Keras 3 keras.ops operation saved in a Functional model
// (class "Add" for x + y): its config has no "trainable", a layer's has.
func (c *lcfg) isOp() bool { return c.d == Keras3 && !c.o.Has("trainable") }

// mergeOrOp is a merge layer, or the keras.ops operation of the same
// class name, which broadcasts its tensors (constants are not inputs).
func mergeOrOp(nIn int) *layerKind {
	layer := mergeLayer(nIn)
	return &layerKind{nIn: -1, infer: func(c *lcfg, in []Shape) (Shape, error) {
		if c.isOp() {
			return c.broadcast(in)
		}
		if err := c.checkInputs(layer, in); err != nil {
			return nil, err
		}
		return layer.infer(c, in)
	}}
}

func init() {
	register(mergeOrOp(-1), "Add", "Multiply", "Maximum", "Minimum")
	register(mergeLayer(-1), "Average")
	register(mergeOrOp(2), "Subtract")
	register(concatenateLayer, "Concatenate")
	register(dotLayer, "Dot")
	register(broadcastLayer(2), "CustomScaleLayer", "Custom>CustomScaleLayer")
}
