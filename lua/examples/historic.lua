-- historic.lua - an opt-in example policy (dkmod-lua(7)) for the historic sender
-- policies: DomainKeys (RFC 4870) and ADSP (RFC 5617, Historic since 2013).  lua/default.lua
-- acts on DMARC instead, because stale o=- and discardable records still exist in DNS
-- and would refuse mail their domains now send unsigned.  Use this where those records
-- still mean something to you, on its own or by copying its domainkeys and adsp functions
-- into a copy of default.lua (called in verify after dmarc).
--
-- * DomainKeys: a sender domain that publishes o=- (it signs all its mail) without
--   t=y (testing), whose message has no good DomainKeys signature from that domain,
--   is rejected.
-- * ADSP: an author domain that says "discardable" and whose message has no author
--   signature is discarded (or rejected: see adsp_discardable below); "all" without
--   one is only tagged with an X-Dkmod-Adsp: field.
-- * A signature whose l= leaves part of the body unsigned (partial_body) is no
--   signature for these decisions.
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
  msg:count("historic.domainkeys_reject")
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
    msg:count("historic.adsp_partial_body")
  end
  if result == "temperror" then return tempfail("ADSP record of " .. domain) end
  if result == "discard" then
    if signature(msg, "dkim", domain, "temperror") then return tempfail("DKIM key of " .. domain) end
    msg:count("historic.adsp_discard")
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

-- verify - the hook: DomainKeys, then ADSP, for clients that are not trusted submitters
function verify(msg)
  if msg.authentication_results then
    msg:add_header("Authentication-Results", msg.authentication_results)
  end
  if trust_submitters and (msg.can_relay or msg.auth_user) then
    return "accept"
  end
  local action, reply = domainkeys(msg)
  if action then return action, reply end
  action, reply = adsp(msg)
  if action then return action, reply end
  return "accept"
end
