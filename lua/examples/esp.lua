-- esp.lua - an example policy (dkmod-lua(7)) for an email service provider: mail
-- its authenticated customers send is signed twice with DKIM, once with the
-- customer's own domain (its dkim_domain block in the configuration, if it has
-- one) and once with the ESP's domain, so that receivers see both.

-- Settings ------------------------------------------------------------------
local esp = {
  domain = "esp.example.net",          -- the ESP's own signing domain
  selector = "esp1",
  key = "keys/%{d}/%{s}.key",          -- relative to the configuration file
  headers = { "from", "to", "subject", "date", "message-id" },
}
-------------------------------------------------------------------------------

function sign(msg)
  if not msg.auth_user and not msg.can_relay then
    return nil                         -- not a customer: nothing to sign
  end
  local requests = {}
  for _, r in ipairs(msg:configured_signatures()) do
    if r.type == "dkim" then requests[#requests + 1] = r end
  end
  requests[#requests + 1] = {
    type = "dkim", domain = esp.domain, selector = esp.selector, key = esp.key,
    headers = esp.headers, canon = "relaxed/relaxed", algorithm = "rsa-sha256",
  }
  msg:count("esp.signed", #requests)
  return requests
end

function verify(msg)
  if msg.authentication_results then
    msg:add_header("Authentication-Results", msg.authentication_results)
  end
  return "accept"
end
