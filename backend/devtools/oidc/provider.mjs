// A real OpenID Connect provider (the certified oidc-provider package) for the tests of
// single sign-on. Its development sign-in page accepts any login name with any password;
// the account it signs in has that name, and the address <name>@<CHAT_OIDC_EMAIL_DOMAIN>.
//
//   node provider.mjs <port> <client id> <client secret> <redirect URI>
import Provider from "oidc-provider";

const [port, clientId, clientSecret, redirectUri] = process.argv.slice(2);
const emailDomain = process.env.CHAT_OIDC_EMAIL_DOMAIN || "example.com";

const provider = new Provider(`http://127.0.0.1:${port}`, {
  clients: [
    {
      client_id: clientId,
      client_secret: clientSecret,
      redirect_uris: [redirectUri],
      grant_types: ["authorization_code"],
      response_types: ["code"],
    },
  ],
  claims: {
    openid: ["sub"],
    email: ["email", "email_verified"],
    profile: ["name", "preferred_username"],
  },
  async findAccount(ctx, id) {
    return {
      accountId: id,
      async claims() {
        return {
          sub: id,
          email: `${id}@${emailDomain}`,
          email_verified: true,
          name: id,
          preferred_username: id,
        };
      },
    };
  },
});
provider.proxy = false;
provider.listen(Number(port), "127.0.0.1", () => {
  console.log(`ready ${provider.issuer}`);
});
