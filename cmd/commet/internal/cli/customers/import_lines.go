package customers

import "sync"

// lineIndex maps the index of each row given to the import to its line in
// the input, and keeps which rows are to be archived once created. A row's
// line is kept as how many lines it lies past the row before it, in a byte
// (1 for a row of one line after a row of one line), with the line of the
// first row of every block of lineBlockRows: about 1.1 bytes a row, where
// a line of 4 bytes a row took 4 MB a million rows, and 8 more while it
// doubled. A row more than 255 lines past the one before (or not past it)
// keeps its line in far.
type lineIndex struct {
	mu       sync.Mutex
	n        int          // rows
	last     int          // the line of the last row
	blocks   []lineBlock  // a block for every lineBlockRows rows
	far      map[int]int  // index to line, for the rows whose step is 0
	archives map[int]bool // the rows to archive
	first    int          // the first index in archives
}

const lineBlockRows = 64

// lineBlock holds the lines of lineBlockRows rows: before is the line of
// the row before the first (0 for the first row), step how far each row
// lies past the one before, 0 for a row kept in far.
type lineBlock struct {
	before int
	step   [lineBlockRows]uint8
}

func (l *lineIndex) add(line int, archive bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	index := l.n
	if archive {
		if l.archives == nil {
			l.archives, l.first = map[int]bool{}, index
		}
		l.archives[index] = true
	}
	if index%lineBlockRows == 0 {
		l.blocks = append(l.blocks, lineBlock{before: l.last})
	}
	step := line - l.last
	if step < 1 || step > 255 {
		if l.far == nil {
			l.far = map[int]int{}
		}
		l.far[index] = line
		step = 0
	}
	l.blocks[index/lineBlockRows].step[index%lineBlockRows] = uint8(step)
	l.n++
	l.last = line
}

// archive reports whether the row of index is to be archived once created.
func (l *lineIndex) archive(index int) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.archives[index]
}

// firstArchive is the index of the first row to be archived once
// created, or -1.
func (l *lineIndex) firstArchive() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.archives == nil {
		return -1
	}
	return l.first
}

// boundary is the first line past the rows of the first n indexes: the
// line of the row of index n when it was read, else the line after the
// row of index n-1 (0 for n 0).
func (l *lineIndex) boundary(n int) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	switch {
	case n <= 0 || n > l.n:
		return 0
	case n < l.n:
		return l.line(n)
	}
	return l.line(n-1) + 1
}

// of is the line of the row of index, or 0 for no such row.
func (l *lineIndex) of(index int) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	if index < 0 || index >= l.n {
		return 0
	}
	return l.line(index)
}

// line is the line of the row of index, which exists; l.mu is held.
func (l *lineIndex) line(index int) int {
	b := &l.blocks[index/lineBlockRows]
	first := index - index%lineBlockRows
	line := b.before
	for i, step := range b.step[:index-first+1] {
		if step == 0 {
			line = l.far[first+i]
		} else {
			line += int(step)
		}
	}
	return line
}
