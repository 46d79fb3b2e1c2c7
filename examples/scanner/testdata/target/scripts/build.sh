#!/bin/sh
set -eu
go build -o build/inventory ./src
