#!/usr/bin/env bash
# Fetches the front-end assets and fonts Bulwark embeds, from the npm
# registry, at the exact versions below, and records what was taken in
# internal/ui/static/vendor/VERSIONS.txt. The binary embeds the result, so
# Bulwark works on a closed network; run this only to change a version.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
vendor="$root/internal/ui/static/vendor"
fonts="$root/internal/fonts/ttf"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# package@version  file-in-package  destination
assets=(
  "htmx.org@2.0.11 dist/htmx.min.js $vendor/htmx.min.js"
  "chart.js@4.6.1 dist/chart.umd.min.js $vendor/chart.umd.min.js"
  "@fontsource/be-vietnam-pro@5.3.0 files/be-vietnam-pro-vietnamese-400-normal.woff2 $vendor/fonts/be-vietnam-pro-vietnamese-400-normal.woff2"
  "@fontsource/be-vietnam-pro@5.3.0 files/be-vietnam-pro-latin-400-normal.woff2 $vendor/fonts/be-vietnam-pro-latin-400-normal.woff2"
  "@fontsource/be-vietnam-pro@5.3.0 files/be-vietnam-pro-latin-ext-400-normal.woff2 $vendor/fonts/be-vietnam-pro-latin-ext-400-normal.woff2"
  "@fontsource/be-vietnam-pro@5.3.0 files/be-vietnam-pro-vietnamese-600-normal.woff2 $vendor/fonts/be-vietnam-pro-vietnamese-600-normal.woff2"
  "@fontsource/be-vietnam-pro@5.3.0 files/be-vietnam-pro-latin-600-normal.woff2 $vendor/fonts/be-vietnam-pro-latin-600-normal.woff2"
  "@fontsource/be-vietnam-pro@5.3.0 files/be-vietnam-pro-latin-ext-600-normal.woff2 $vendor/fonts/be-vietnam-pro-latin-ext-600-normal.woff2"
  "@fontsource/be-vietnam-pro@5.3.0 LICENSE $vendor/fonts/LICENSE-be-vietnam-pro.txt"
  "dejavu-fonts-ttf@2.37.3 ttf/DejaVuSans.ttf $fonts/DejaVuSans.ttf"
  "dejavu-fonts-ttf@2.37.3 ttf/DejaVuSans-Bold.ttf $fonts/DejaVuSans-Bold.ttf"
  "dejavu-fonts-ttf@2.37.3 LICENSE $fonts/LICENSE-dejavu.txt"
)

mkdir -p "$vendor/fonts" "$fonts"
{
  echo "# Vendored by scripts/vendor-assets.sh from the npm registry. Do not edit by hand."
  echo "# package@version file sha256"
} > "$vendor/VERSIONS.txt"
declare -A packed
for line in "${assets[@]}"; do
  read -r spec file dest <<<"$line"
  if [[ -z "${packed[$spec]:-}" ]]; then
    dir="$work/$(echo "$spec" | tr '/@' '__')"
    mkdir -p "$dir"
    (cd "$dir" && npm pack --silent "$spec" >/dev/null && tar xzf ./*.tgz)
    packed[$spec]="$dir/package"
  fi
  mkdir -p "$(dirname "$dest")"
  cp "${packed[$spec]}/$file" "$dest"
  echo "$spec $file $(sha256sum "$dest" | cut -d' ' -f1)" >> "$vendor/VERSIONS.txt"
done
echo "vendored $(( ${#assets[@]} )) files; see $vendor/VERSIONS.txt"
