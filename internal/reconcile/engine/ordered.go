package engine

import (
	"context"
	"sync"
)

// runOrdered runs a pipeline: produce emits batches one after another,
// workers goroutines turn each into a result with work (w is the worker's
// number, for per-worker state), and consume receives the results in the
// order the batches were emitted, on the calling goroutine. At most
// inflight batches exist at any time, so memory is bounded whatever the
// input's size. The first error (of produce, consume or ctx) stops it.
func runOrdered[I, O any](ctx context.Context, workers, inflight int,
	produce func(ctx context.Context, emit func(I) error) error,
	work func(w int, in I) O,
	consume func(O) error) error {
	workers = max(workers, 1)
	inflight = max(inflight, workers)
	parent := ctx
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	type seqIn struct {
		seq int
		v   I
	}
	type seqOut struct {
		seq int
		v   O
	}
	tokens := make(chan struct{}, inflight)
	in := make(chan seqIn, inflight)
	out := make(chan seqOut, inflight)

	var prodErr error
	go func() {
		defer close(in)
		seq := 0
		prodErr = produce(ctx, func(v I) error {
			select {
			case tokens <- struct{}{}:
			case <-ctx.Done():
				return ctx.Err()
			}
			in <- seqIn{seq, v}
			seq++
			return nil
		})
		if prodErr != nil {
			cancel()
		}
	}()
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for x := range in {
				if ctx.Err() != nil {
					out <- seqOut{x.seq, *new(O)}
					continue
				}
				out <- seqOut{x.seq, work(w, x.v)}
			}
		})
	}
	go func() {
		wg.Wait()
		close(out)
	}()

	var err error
	stopped := false
	pending := map[int]O{}
	next := 0
	for r := range out {
		if stopped {
			continue // drain
		}
		pending[r.seq] = r.v
		for {
			v, ok := pending[next]
			if !ok {
				break
			}
			delete(pending, next)
			next++
			<-tokens
			if ctx.Err() != nil {
				stopped = true
				break
			}
			if err = consume(v); err != nil {
				stopped = true
				cancel()
				break
			}
		}
	}
	// out is closed: the producer has finished (it closes in before the
	// workers can end), so prodErr is set. The consumer's error comes
	// first: the producer's may only be the cancellation it caused.
	switch {
	case err != nil:
		return err
	case prodErr != nil:
		return prodErr
	}
	return parent.Err()
}
