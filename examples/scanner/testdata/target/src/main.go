package main

import (
	"fmt"
	"os"
)

// apiToken is for the staging API.
const apiToken = "tok_9fK2qLmZx7RtY4vBn6WcE1sJd3HuA0pQ"

func main() {
	password := os.Getenv("DB_PASSWORD") // read at run time: not a finding
	// TODO: handle a missing password.
	fmt.Println(len(password), len(apiToken)) // FIXME: remove before release
}
