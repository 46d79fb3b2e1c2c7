package harness

import (
	"fmt"
	"slices"
)

// Record is the struct4k payload: about 4 KiB as JSON, with nested
// structs, strings and slices. Systems that carry protobuf use pb.Record,
// built from the same values.
type Record struct {
	ID     int64     `json:"id"`
	Name   string    `json:"name"`
	Active bool      `json:"active"`
	Tags   []string  `json:"tags"`
	Owner  Person    `json:"owner"`
	Items  []Item    `json:"items"`
	Scores []float64 `json:"scores"`
}

// Person is nested in Record.
type Person struct {
	Name  string `json:"name"`
	Email string `json:"email"`
	Age   int32  `json:"age"`
}

// Item is one element of Record.Items.
type Item struct {
	SKU   string  `json:"sku"`
	Qty   int32   `json:"qty"`
	Price float64 `json:"price"`
	Note  string  `json:"note"`
}

// NewRecord returns the struct4k payload.
func NewRecord() Record {
	r := Record{
		ID:     1,
		Name:   "inventory snapshot for the benchmark",
		Active: true,
		Owner:  Person{Name: "Ada Lovelace", Email: "ada@example.org", Age: 36},
	}
	for i := 0; i < 20; i++ {
		r.Tags = append(r.Tags, fmt.Sprintf("tag-%02d-label", i))
	}
	for i := 0; i < 34; i++ {
		r.Items = append(r.Items, Item{
			SKU:   fmt.Sprintf("SKU-%06d", 100000+i*37),
			Qty:   int32(i*3 + 1),
			Price: float64(i)*1.25 + 0.99,
			Note:  fmt.Sprintf("item %d, shelf %c, restocked weekly", i, 'A'+i%26),
		})
	}
	for i := 0; i < 32; i++ {
		r.Scores = append(r.Scores, float64(i)/7)
	}
	return r
}

// Equal reports whether r and o hold the same values.
func (r *Record) Equal(o *Record) bool {
	return r.ID == o.ID && r.Name == o.Name && r.Active == o.Active &&
		slices.Equal(r.Tags, o.Tags) && r.Owner == o.Owner &&
		slices.Equal(r.Items, o.Items) && slices.Equal(r.Scores, o.Scores)
}
