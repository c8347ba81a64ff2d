package synth

import (
	"context"

	"github.com/populus-vn/populus/internal/people"
)

// Pipelined is Generate with the generator in a goroutine of its own: fn
// receives copies of each household and its members on the caller's
// goroutine, so that generating and storing overlap on two cores. The
// channel between them is bounded, so memory stays flat.
func Pipelined(ctx context.Context, cfg Config, fn func(h *people.Household, members []people.Person) error) error {
	type item struct {
		h       people.Household
		members []people.Person
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	ch := make(chan item, 1024)
	genErr := make(chan error, 1)
	go func() {
		defer close(ch)
		genErr <- Generate(ctx, cfg, func(h *people.Household, members []people.Person) error {
			select {
			case ch <- item{*h, append([]people.Person(nil), members...)}:
				return nil
			case <-ctx.Done():
				return ctx.Err()
			}
		})
	}()
	for it := range ch {
		if err := fn(&it.h, it.members); err != nil {
			cancel()
			for range ch {
			}
			<-genErr
			return err
		}
	}
	return <-genErr
}
