#!/usr/bin/env bash
# Compiles and lints the Bicep templates under infra/ and checks infra/main.parameters.json against them.
# Fails (non-zero exit) on any Bicep warning or error.
#
#   bash infra/build.sh            # from the repository root (or anywhere)
#
# The Bicep compiler comes from the NuGet package Azure.Bicep.CommandLine.linux-x64, downloaded by
# `dotnet restore infra/bicep/bicep.proj` into the NuGet global packages folder on first use.
# Requires: the .NET SDK and Node.js (for the parameter-file check).
set -euo pipefail

BICEP_PACKAGE="azure.bicep.commandline.linux-x64" # lowercase, as laid out in the packages folder
BICEP_VERSION="0.49.2"                            # keep in sync with infra/bicep/bicep.proj

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

TEMPLATE="infra/main.bicep"
PARAMETERS="infra/main.parameters.json"

say() { printf 'infra: %s\n' "$*"; }
die() { printf 'infra: error: %s\n' "$*" >&2; exit 1; }

case "$(uname -s)-$(uname -m)" in
  Linux-x86_64) ;;
  *) die "this script uses the linux-x64 Bicep compiler; on $(uname -s)-$(uname -m) run 'az bicep build --file $TEMPLATE' instead" ;;
esac

command -v dotnet >/dev/null 2>&1 || die "the .NET SDK (dotnet) is required"

global_packages="$(dotnet nuget locals global-packages --list | sed -n 's/^global-packages: *//p' | head -n 1)"
[[ -n "$global_packages" ]] || die "could not determine the NuGet global packages folder"
global_packages="${global_packages%/}"
package_dir="$global_packages/$BICEP_PACKAGE/$BICEP_VERSION"

find_bicep() {
  [[ -d "$package_dir" ]] || return 1
  find "$package_dir" -type f -name bicep 2>/dev/null | head -n 1
}

bicep="$(find_bicep || true)"
if [[ -z "$bicep" ]]; then
  say "downloading the Bicep compiler $BICEP_VERSION (NuGet package Azure.Bicep.CommandLine.linux-x64)"
  dotnet restore infra/bicep/bicep.proj --nologo --verbosity quiet
  bicep="$(find_bicep || true)"
  [[ -n "$bicep" ]] || die "Bicep executable not found under $package_dir after restore"
fi
[[ -x "$bicep" ]] || chmod +x "$bicep"

say "$("$bicep" --version)"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

failed=0

# Any diagnostic at warning or error level fails the build.
check_output() {
  local label="$1" file="$2"
  if [[ -s "$file" ]]; then
    cat "$file"
  fi
  if grep -Eiq '(^|[^a-z])(warning|error)([^a-z]|$)' "$file"; then
    say "$label: FAILED (diagnostics above)"
    failed=1
  else
    say "$label: ok, no warnings"
  fi
}

rc=0
"$bicep" build "$TEMPLATE" --stdout >"$work/main.json" 2>"$work/build.log" || rc=$?
if ((rc != 0)); then
  echo "bicep build exited with code $rc" >>"$work/build.log"
fi
check_output "bicep build $TEMPLATE" "$work/build.log"

rc=0
"$bicep" lint "$TEMPLATE" >"$work/lint.log" 2>&1 || rc=$?
if ((rc != 0)); then
  echo "bicep lint exited with code $rc" >>"$work/lint.log"
fi
check_output "bicep lint $TEMPLATE" "$work/lint.log"

# The parameter file must only name declared parameters, supply every required one, and respect
# each parameter's type, allowed values and bounds.
if [[ -s "$work/main.json" ]]; then
  command -v node >/dev/null 2>&1 || die "Node.js (node) is required to check $PARAMETERS"
  if node - "$work/main.json" "$PARAMETERS" <<'NODE'; then
const fs = require('fs');
const [templatePath, parametersPath] = process.argv.slice(2);
const declared = JSON.parse(fs.readFileSync(templatePath, 'utf8')).parameters || {};
let given;
try {
  given = JSON.parse(fs.readFileSync(parametersPath, 'utf8')).parameters || {};
} catch (e) {
  console.log(`${parametersPath}: Error: not valid JSON: ${e.message}`);
  process.exit(1);
}
const problems = [];
const typeOf = v => Array.isArray(v) ? 'array' : v === null ? 'null' : Number.isInteger(v) ? 'int' : typeof v === 'number' ? 'number' : typeof v === 'boolean' ? 'bool' : typeof v;
for (const [name, entry] of Object.entries(given)) {
  const p = declared[name];
  if (!p) { problems.push(`parameter '${name}' is not declared in the template`); continue; }
  if (entry && 'reference' in entry) {
    // A Key Vault reference: only for secure parameters, and it must name the vault and the secret.
    if (!String(p.type).toLowerCase().startsWith('secure')) problems.push(`parameter '${name}' is not secure but is given by a Key Vault reference`);
    if (!entry.reference?.keyVault?.id || !entry.reference?.secretName) problems.push(`parameter '${name}': a Key Vault reference needs keyVault.id and secretName`);
    continue;
  }
  if (!entry || !('value' in entry)) { problems.push(`parameter '${name}' has no "value"`); continue; }
  const v = entry.value;
  const expected = String(p.type).toLowerCase().replace('secure', '');
  if (typeOf(v) !== expected) problems.push(`parameter '${name}' should be ${expected}, got ${typeOf(v)}`);
  if (p.allowedValues && !p.allowedValues.some(a => JSON.stringify(a) === JSON.stringify(v)))
    problems.push(`parameter '${name}' = ${JSON.stringify(v)} is not one of ${JSON.stringify(p.allowedValues)}`);
  if (typeof v === 'string' || Array.isArray(v)) {
    if (p.minLength !== undefined && v.length < p.minLength) problems.push(`parameter '${name}' is shorter than ${p.minLength}`);
    if (p.maxLength !== undefined && v.length > p.maxLength) problems.push(`parameter '${name}' is longer than ${p.maxLength}`);
  }
  if (typeof v === 'number') {
    if (p.minValue !== undefined && v < p.minValue) problems.push(`parameter '${name}' is below ${p.minValue}`);
    if (p.maxValue !== undefined && v > p.maxValue) problems.push(`parameter '${name}' is above ${p.maxValue}`);
  }
}
for (const [name, p] of Object.entries(declared)) {
  if (!('defaultValue' in p) && !(name in given) && !p.nullable) problems.push(`required parameter '${name}' is missing`);
}
for (const m of problems) console.log(`${parametersPath}: Error: ${m}`);
process.exit(problems.length ? 1 : 0);
NODE
    say "$PARAMETERS: ok, matches the template's parameters"
  else
    say "$PARAMETERS: FAILED (see above)"
    failed=1
  fi
fi

if ((failed)); then
  die "Bicep check failed"
fi
say "Bicep build passed with no warnings"
