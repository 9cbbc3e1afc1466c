import assert from "node:assert/strict";
import { signWebhook, verifyWebhook, webhookKey } from "./signature.ts";

// The Standard Webhooks specification's example values.
const SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const ID = "msg_p5jXN8AQM9LWM0D4loKWxJek";
const TIMESTAMP = 1614265330;
const BODY = '{"test": 2432232314}';

Deno.test("webhook signatures: the specification's example, verified, tampering refused", async () => {
  const key = webhookKey(SECRET);
  const headers = await signWebhook(key, ID, TIMESTAMP, BODY);
  assert.equal(headers["webhook-signature"], "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
  const h = new Headers({ ...headers });
  assert.ok(await verifyWebhook(key, h, BODY, 300, TIMESTAMP + 10));
  assert.ok(!await verifyWebhook(key, h, `${BODY} `, 300, TIMESTAMP), "body changed");
  assert.ok(!await verifyWebhook(key, h, BODY, 300, TIMESTAMP + 301), "too old");
  assert.ok(!await verifyWebhook(webhookKey("whsec_AAAA"), h, BODY, 300, TIMESTAMP), "wrong key");
  h.set("webhook-signature", `v1,bm9wZQ== ${headers["webhook-signature"]}`);
  assert.ok(await verifyWebhook(key, h, BODY, 300, TIMESTAMP), "any of several signatures");
  assert.throws(() => webhookKey("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"));
});
