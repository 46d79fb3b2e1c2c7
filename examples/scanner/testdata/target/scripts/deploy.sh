set -eu
# Copies the build to the servers.
rsync -a build/ deploy@inventory.internal:/srv/inventory/
