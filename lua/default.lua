-- default.lua - the policy script dkmod ships (see dkmod-lua(7)).
--
-- * Every verified message gets the engine's Authentication-Results field.
-- * DomainKeys: a sender domain that publishes o=- (it signs all its mail) without
--   t=y (testing), whose message has no good DomainKeys signature from that domain,
--   is rejected.
-- * ADSP: an author domain that says "discardable" and whose message has no author
--   signature is discarded (or rejected: see adsp_discardable below); "all" without
--   one is only tagged with an X-Dkmod-Adsp: field.
-- * A signature whose l= leaves part of the body unsigned (partial_body) is not taken as
--   authenticating the message: what follows l= could be anything.  An author domain
--   whose only passing signatures are such is treated as if it had none.
-- * A header past the header limits (max_header_fields, max_header_bytes) was not fully
--   inspected: no signature passes and a sender policy may rest on fields the engine did not
--   see, so the message is rejected (552 5.3.4): retrying cannot change it, and the sender
--   learns at once.  Set truncated_header to "tempfail" or "quarantine" to choose otherwise.
-- * A message with two From (or two Sender) fields (RFC 5322 3.6: one each) is rejected
--   (550 5.7.1): which author a reader sees is not the one a signature vouches for
--   (RFC 6376 8.15, RFC 7489 6.6.1).
-- * A DNS failure that the decision rests on (the DomainKeys policy, ADSP, or the key
--   of a signature that could have saved the message) gives a temporary failure
--   (451 4.7.5) instead of a rejection: the sender will try again.

-- Settings ------------------------------------------------------------------
local adsp_discardable = "discard"     -- "discard" or "reject"
local dk_signs_all = "reject"          -- o=- without a good signature: "reject", or "quarantine"
                                       -- behind an after-queue filter (Postfix pipe), where a
                                       -- rejection bounces to a possibly forged sender
local adsp_field = "X-Dkmod-Adsp"      -- the field that tags ADSP failures
local trust_submitters = true          -- relaying or authenticated clients are only tagged
local truncated_header = "reject"      -- past the header limits: "reject", "tempfail" or "quarantine"
local duplicate_author = "reject"      -- two From or Sender fields: "reject" or "quarantine"
-------------------------------------------------------------------------------

-- within - domain is d or a subdomain of d
local function within(domain, d)
  if not domain or not d then return false end
  domain, d = domain:lower(), d:lower()
  return domain == d or (#domain > #d and domain:sub(-#d - 1) == "." .. d)
end

-- signature - the first signature of a method with a given result whose d= fits domain
-- (DomainKeys: d= is the domain or a parent of it; DKIM: d= is the domain itself); a pass
-- that covers only part of the body (l=) does not count
local function signature(msg, method, domain, result)
  for _, s in ipairs(msg.signatures) do
    if s.method == method and s.result == result and not (result == "pass" and s.partial_body) then
      if (method == "domainkeys" and within(domain, s.d)) or (method == "dkim" and s.d and s.d:lower() == domain) then
        return s
      end
    end
  end
  return nil
end

-- tempfail - the answer when a DNS failure is what the decision rests on
local function tempfail(what)
  return "tempfail", "451 4.7.5 DNS lookup of the " .. what .. " failed, try again later"
end

-- domainkeys - the DomainKeys sender policy (nil: nothing to do)
local function domainkeys(msg)
  local domain = msg.sender_domain
  local p = domain and msg:dk_policy(domain)
  if not p then return nil end
  if p.verdict == "temperror" then return tempfail("DomainKeys policy of " .. domain) end
  if p.o ~= "-" or p.t or signature(msg, "domainkeys", domain, "pass") then return nil end
  if signature(msg, "domainkeys", domain, "temperror") then
    return tempfail("DomainKeys key of " .. domain)
  end
  msg:count("default.domainkeys_reject")
  if dk_signs_all ~= "reject" then return dk_signs_all end
  return "reject", "550 5.7.1 " .. domain ..
    " signs all its mail (DomainKeys o=-) and this message has no valid signature"
end

-- adsp - ADSP of the author's domain (nil: nothing to do)
local function adsp(msg)
  local domain = msg.author_domain
  local a = domain and msg:adsp(domain)
  if not a then return nil end
  local result = a.result
  if result == "pass" and not signature(msg, "dkim", domain, "pass") then
    -- the author signatures all leave part of the body unsigned (l=): none counts
    result = ({ discardable = "discard", all = "fail" })[a.practice] or "unknown"
    msg:count("default.adsp_partial_body")
  end
  if result == "temperror" then return tempfail("ADSP record of " .. domain) end
  if result == "discard" then
    if signature(msg, "dkim", domain, "temperror") then return tempfail("DKIM key of " .. domain) end
    msg:count("default.adsp_discard")
    if adsp_discardable == "reject" then
      return "reject", "550 5.7.1 " .. domain .. " publishes ADSP discardable and this message has no author signature"
    end
    return "discard"
  end
  if result == "fail" or result == "nxdomain" then
    msg:add_header(adsp_field, result)
  end
  return nil
end

-- header - a header the verdicts cannot rest on (nil: nothing to do)
local function header(msg)
  if msg.header_truncated then
    msg:count("default.header_truncated")
    if truncated_header == "quarantine" then return "quarantine" end
    if truncated_header == "tempfail" then
      return "tempfail", "451 4.3.4 Message header over the limits of this server, try again later"
    end
    return truncated_header, "552 5.3.4 Message header too large to be checked"
  end
  if msg.duplicate_author then
    msg:count("default.duplicate_author")
    if duplicate_author == "quarantine" then return "quarantine" end
    return "reject", "550 5.7.1 Message has more than one From or Sender field (RFC 5322 3.6)"
  end
  return nil
end

function verify(msg)
  if msg.authentication_results then
    msg:add_header("Authentication-Results", msg.authentication_results)
  end
  local action, reply = header(msg)
  if action then return action, reply end
  if trust_submitters and (msg.can_relay or msg.auth_user) then
    return "accept"
  end
  action, reply = domainkeys(msg)
  if action then return action, reply end
  action, reply = adsp(msg)
  if action then return action, reply end
  return "accept"
end
