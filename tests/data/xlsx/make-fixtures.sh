#!/bin/sh
# SPDX-License-Identifier: MIT
# make-fixtures.sh: regenerates the XLSX fixtures in this directory (README.md
# says what each one holds). Needs a C compiler, libxlsxwriter-dev, libzip-dev
# and, for lo-table.xlsx only, LibreOffice Calc (Debian libreoffice-calc-nogui).
# Run it from anywhere; it writes next to itself and builds in a temporary directory.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

corpus="$here/../../fuzz/corpus/xlsx"
mkdir -p "$corpus"
cc -std=c17 -Wall -Wextra -O1 -o "$work/gen-fixtures" "$here/gen-fixtures.c" \
    $(pkg-config --cflags --libs xlsxwriter libzip)
"$work/gen-fixtures" "$here" "$here" "$corpus"

# LibreOffice: the same table as CSV, converted with its CSV import (which
# recognises ISO dates and date-times, TRUE/FALSE and numbers in the en-US
# locale). A private profile keeps the user's settings out of it.
if command -v soffice >/dev/null 2>&1; then
    cp "$here/table.csv" "$work/lo-table.csv"
    soffice -env:UserInstallation="file://$work/profile" --headless \
        --infilter="CSV:44,34,76,1,,1033" --convert-to xlsx --outdir "$work" \
        "$work/lo-table.csv" >/dev/null
    cp "$work/lo-table.xlsx" "$here/lo-table.xlsx"
else
    echo "make-fixtures: soffice not found; lo-table.xlsx left as it is" >&2
fi

# The fuzz corpus starts from copies of the small fixtures (and the stored
# copies gen-fixtures wrote there).
for f in lxw-table lxw-two-sheets lxw-1904 excel-style lo-table; do
    [ -f "$here/$f.xlsx" ] && cp "$here/$f.xlsx" "$corpus/$f.xlsx"
done
ls -l "$here"/*.xlsx
