// The real Node client, as a user program runs it: GoogleAuth reads the
// credential config named by GOOGLE_APPLICATION_CREDENTIALS, runs the helper
// when it needs a subject token, and exchanges it for an access token.
//
// Prints one JSON line: {"ok": true, "token": ACCESS_TOKEN} or
// {"ok": false, "error": MESSAGE}; exits 0 either way so the caller reads the line.
'use strict';

const {GoogleAuth} = require('google-auth-library');

const CLOUD_PLATFORM_SCOPE = 'https://www.googleapis.com/auth/cloud-platform';

async function main() {
  const auth = new GoogleAuth({scopes: [CLOUD_PLATFORM_SCOPE]});
  const client = await auth.getClient();
  const {token} = await client.getAccessToken();
  if (!token) {
    throw new Error('the client returned no access token');
  }
  return token;
}

main().then(
  token => console.log(JSON.stringify({ok: true, token})),
  error => console.log(JSON.stringify({ok: false, error: String(error && error.message)}))
);
