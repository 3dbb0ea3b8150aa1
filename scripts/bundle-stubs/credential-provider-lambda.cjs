// The Lambda bundles' credential chain, in place of @aws-sdk/credential-provider-node. Lambda hands
// the function its execution role's credentials in AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and
// AWS_SESSION_TOKEN (Lambda Developer Guide, configuration-envvars.html, "Defined runtime
// environment variables"), and `serverless invoke local` sets the same three; the rest of the
// chain (SSO, profiles, web identity, process, IMDS) would be 28 KB of the zip that never runs.
// The CLI and the tests are not bundled: they keep the SDK's whole chain.
const { fromEnv } = require('@aws-sdk/credential-provider-env');

const credentialsWillNeedRefresh = (credentials) => credentials?.expiration !== undefined;
const credentialsTreatedAsExpired = (credentials) =>
  credentials?.expiration !== undefined && credentials.expiration.getTime() - Date.now() < 300000;
const defaultProvider = (init = {}) => fromEnv(init);

module.exports = { defaultProvider, credentialsWillNeedRefresh, credentialsTreatedAsExpired };
