#!/usr/bin/env bash
# Playwright's web server: makes the accounts the tests sign in with (end2end/support/session.ts),
# then serves the desk. The data directory (APPREG_DATA_DIR) is the temporary one the config made.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
appreg="$root/target/debug/appreg"
: "${APPREG_E2E_PASSWORD:?the password of the test accounts, set by playwright.config.ts}"

add() {
  local email="$1" role="$2" ods="${3:-}"
  if [[ -n "$ods" ]]; then
    printf '%s\n' "$APPREG_E2E_PASSWORD" | "$appreg" user add --email "$email" --role "$role" --ods "$ods" >/dev/null
  else
    printf '%s\n' "$APPREG_E2E_PASSWORD" | "$appreg" user add --email "$email" --role "$role" >/dev/null
  fi
}

add admin@rx1.nhs.net local_admin RX1
add admin@rth.nhs.net local_admin RTH
add reviewer1@nhs.net reviewer
add reviewer2@nhs.net reviewer
# Who manages the accounts (accounts.spec.ts): the first desk administrator is made this way.
add desk.admin@nhs.net desk_admin
# Whose password the throttling test guesses at (one per attempt: Playwright retries once).
add returning0@rx1.nhs.net local_admin RX1
add returning1@rx1.nhs.net local_admin RX1
# Who forgot their password (sign-in.spec.ts: a one-time link from `appreg user reset-password`).
add forgetful@rx1.nhs.net local_admin RX1
# Who changes their own password (sign-in.spec.ts).
add changer@rx1.nhs.net local_admin RX1
# Who signs in with NHSmail (nhsmail.spec.ts; the test OpenID provider's `nhsmail.admin`).
add nhsmail.admin@rx1.nhs.net local_admin RX1
# A mailbox the embedded data does not have, as a desk's import adds them (form.spec.ts: the
# browser's live checks know it as the server does).
printf 'address,ods_code,kind\nimported.ward9@nhs.net,RX1,shared\n' > "$APPREG_DATA_DIR/imported-mailboxes.csv"
"$appreg" directory import "$APPREG_DATA_DIR/imported-mailboxes.csv" >/dev/null
exec "$appreg" serve
