#!/usr/bin/env bash
# Compiles and lints the Bicep templates under infra/ with the Bicep CLI from NuGet
# (Azure.Bicep.CommandLine.linux-x64, restored by infra/tools/bicep-tool.csproj into the NuGet
# cache; nothing is installed globally). Fails on any error or warning, from the compiler or
# from the linter (infra/bicepconfig.json makes the relevant linter rules errors).
#
# Usage: bash infra/check.sh          (from any directory)
# Env:   BICEP_BIN=/path/to/bicep     use that binary instead of the NuGet one
#        NUGET_PACKAGES               honoured by dotnet restore, as usual
set -euo pipefail

infra_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo_root="$(cd "$infra_dir/.." && pwd)"
tool_project="$infra_dir/tools/bicep-tool.csproj"
bicep_version="0.49.2"
build_dir="$infra_dir/.build"

step() { printf '==> %s\n' "$*"; }
fail() { printf 'infra/check.sh: FAILED: %s\n' "$*" >&2; exit 1; }

if [[ -n "${BICEP_BIN:-}" ]]; then
  bicep="$BICEP_BIN"
  step "using BICEP_BIN=$bicep"
else
  case "$(uname -s)-$(uname -m)" in
    Linux-x86_64) ;;
    *) fail "the NuGet Bicep CLI used here is linux-x64; on $(uname -s)-$(uname -m) set BICEP_BIN to a bicep binary" ;;
  esac
  step "restoring Azure.Bicep.CommandLine.linux-x64 $bicep_version (NuGet, no global install)"
  dotnet restore "$tool_project" --nologo --verbosity quiet \
    || fail "dotnet restore $tool_project"
  package_root="$(dotnet msbuild "$tool_project" -nologo -getProperty:NuGetPackageRoot)"
  package_root="${package_root%/}"
  [[ -n "$package_root" ]] || fail "could not read NuGetPackageRoot from $tool_project"
  bicep="$package_root/azure.bicep.commandline.linux-x64/$bicep_version/tools/bicep"
fi

[[ -f "$bicep" ]] || fail "no Bicep binary at $bicep"
[[ -x "$bicep" ]] || chmod +x "$bicep"
step "bicep: $bicep ($("$bicep" --version))"

# Runs one bicep command; fails if it fails or prints any warning or error diagnostic.
run_bicep() {
  local output
  if ! output="$("$bicep" "$@" 2>&1)"; then
    printf '%s\n' "$output" >&2
    fail "bicep $*"
  fi
  if [[ -n "$output" ]]; then
    printf '%s\n' "$output" >&2
    if grep -Eq ': (Warning|Error) ' <<<"$output"; then
      fail "bicep $* reported diagnostics"
    fi
  fi
}

mkdir -p "$build_dir"
step "bicep build infra/main.bicep -> infra/.build/main.json"
run_bicep build --no-restore "$infra_dir/main.bicep" --outfile "$build_dir/main.json"

step "bicep lint infra/**/*.bicep (main.bicep and every module on its own)"
(cd "$infra_dir" && run_bicep lint --no-restore --pattern '**/*.bicep')

step "bicep format: infra/**/*.bicep are formatted as 'bicep format' writes them"
format_dir="$(mktemp -d)"
trap 'rm -rf "$format_dir"' EXIT
(cd "$infra_dir" && find . -name '*.bicep' -exec cp --parents {} "$format_dir" \;)
(cd "$format_dir" && run_bicep format --pattern '**/*.bicep')
unformatted=()
while IFS= read -r -d '' formatted; do
  file="${formatted#"$format_dir"/}"
  cmp -s "$infra_dir/$file" "$formatted" || { diff -u "$infra_dir/$file" "$formatted" >&2 || true; unformatted+=("infra/$file"); }
done < <(find "$format_dir" -name '*.bicep' -print0)
((${#unformatted[@]} == 0)) || fail "not formatted: ${unformatted[*]} (fix: bicep format --pattern 'infra/**/*.bicep')"

step "checking infra/main.parameters.json names only parameters main.bicep declares"
if command -v jq >/dev/null 2>&1; then
  declared="$(jq -r '.parameters | keys[]' "$build_dir/main.json")"
  for name in $(jq -r '.parameters | keys[]' "$infra_dir/main.parameters.json"); do
    grep -qx "$name" <<<"$declared" || fail "main.parameters.json sets '$name', which main.bicep does not declare"
  done
else
  step "  (jq not found; skipped, the InfraTests cover it)"
fi

step "checking infra/hooks/*.sh parse as POSIX sh"
for hook in "$infra_dir"/hooks/*.sh; do
  sh -n "$hook" || fail "sh -n $hook"
done

[[ -f "$repo_root/azure.yaml" ]] || fail "no azure.yaml at the repo root"

step "infra check passed: build and lint clean, ARM template at infra/.build/main.json"
