#!/bin/sh
# A hostcall plugin in shell: it answers `info` with its manifest, and its
# command `add` calls the host's calc.add through the hostcall CLI
# (go install github.com/hostcall/hostcall/cmd/hostcall@latest).
#
#   hostcall run --registry registry.json ./plugin.sh add 1 2
set -eu

if [ "${1-}" = info ]; then
  echo '{"manifestVersion":1,"name":"shplugin","version":"1.0.0","description":"calls the host from sh","commands":[{"path":["add"],"type":"demo"}]}'
  exit 0
fi

# The host passes --host-file URLs among the arguments: export them for
# hostcall call, then keep the plugin's own arguments.
eval "$(hostcall env "$@")"
cmd=$1
shift
while [ $# -gt 0 ]; do
  case $1 in
    --host-file | --host) shift 2 ;;
    --host-file=* | --host=*) shift ;;
    *) break ;;
  esac
done

case $cmd in
  add)
    sum=$(hostcall call calc add "${1-1}" "${2-2}")
    echo "sum: $sum"
    # A failed call exits 1 and says why on stderr.
    if ! out=$(hostcall call calc fail 2>&1); then
      echo "fail: $out"
    fi
    ;;
  *)
    echo "shplugin: unknown command $cmd" >&2
    exit 2
    ;;
esac
