# Sourced by the root scripts: makes the pinned pnpm available (corepack fails signature checks on
# these machines, so pnpm comes from the npm registry as a global install).
PNPM_VERSION="12.4.2"
if ! command -v pnpm >/dev/null 2>&1 || [ "$(pnpm --version 2>/dev/null)" != "$PNPM_VERSION" ]; then
  echo "==> installing pnpm@$PNPM_VERSION"
  npm install --global --no-audit --no-fund "pnpm@$PNPM_VERSION" >/dev/null
fi
