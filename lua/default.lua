-- default.lua - the policy script dkmod ships (see dkmod-lua(7)).
--
-- * Every verified message gets the engine's Authentication-Results field.
-- * DMARC (RFC 9989): an author domain whose DMARC check fails gets the disposition it
--   asks for (msg.dmarc.disposition: the policy, one step milder under t=y): reject
--   (550 5.7.1 naming the domain) or quarantine; p=none is only reported.  Domains in
--   dmarc_tag_only below (mailing-list-heavy senders, say) are never refused for it:
--   their failures are tagged with an X-Dkmod-Dmarc: field.
-- * A signature whose l= leaves part of the body unsigned (partial_body) is not taken as
--   authenticating the message: what follows l= could be anything.  A DMARC pass that
--   rests only on such signatures counts as a fail.
-- * DMARC temperror: when the record was found and asks for reject or quarantine, a DNS
--   failure in checking the identifiers is what the decision rests on, so the message is
--   deferred (451 4.7.5) and the sender will try again (this also keeps a forger whose own
--   domain's lookups time out from getting past p=reject).  When the record itself could
--   not be looked up nothing is known: the mail is accepted, as most receivers do
--   (dmarc_temperror = "tempfail" defers it too).  A record asking for none: accepted.
-- * A header past the header limits (max_header_fields, max_header_bytes) was not fully
--   inspected: no signature passes and a sender policy may rest on fields the engine did not
--   see, so the message is rejected (552 5.3.4): retrying cannot change it, and the sender
--   learns at once.  Set truncated_header to "tempfail" or "quarantine" to choose otherwise.
-- * A message with two From (or two Sender) fields (RFC 5322 3.6: one each) is rejected
--   (550 5.7.1): which author a reader sees is not the one a signature vouches for
--   (RFC 6376 8.15, RFC 7489 6.6.1).
-- * DomainKeys o=- and ADSP discardable are historic and stale records of them remain in
--   DNS: this script does not act on them; lua/examples/historic.lua does.

-- Settings ------------------------------------------------------------------
local dmarc_reject = "reject"          -- DMARC asks reject: "reject", or "quarantine" behind an
                                       -- after-queue filter (Postfix pipe), where a rejection
                                       -- bounces to a possibly forged sender
local dmarc_temperror = "accept"       -- DMARC record lookup failed: "accept" or "tempfail" (451)
local dmarc_tag_only = {               -- author domains (and their subdomains) whose DMARC
  -- "lists.example.org",              -- failures are only tagged, never refused
}
local dmarc_field = "X-Dkmod-Dmarc"    -- the field that tags DMARC failures not refused
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

-- partial_pass - the DMARC pass rests on DKIM signatures within the organizational domain
-- that all leave part of the body unsigned (l=), and not on SPF
local function partial_pass(msg, d)
  if d.result ~= "pass" or d.spf_aligned then return false end
  local org = d.org_domain or d.author_domain
  local partial = false
  for _, s in ipairs(msg.signatures) do
    if s.method == "dkim" and s.result == "pass" and within(s.d, org) then
      if not s.partial_body then return false end
      partial = true
    end
  end
  return partial
end

-- milder - the disposition t=y asks for instead of policy p (RFC 9989: one step milder)
local function milder(p)
  return ({ reject = "quarantine" })[p] or "none"
end

-- tag_only - the author domain is on the local list of domains that are only tagged
local function tag_only(domain)
  for _, d in ipairs(dmarc_tag_only) do
    if within(domain, d) then return true end
  end
  return false
end

-- dmarc - act on the DMARC verdict of the author domain (nil: nothing to do)
local function dmarc(msg)
  local d = msg.dmarc
  if not d or not d.author_domain then return nil end
  local domain, disposition = d.author_domain, d.disposition
  if partial_pass(msg, d) then
    msg:count("default.dmarc_partial_body")
    disposition = d.testing and milder(d.policy) or d.policy
  elseif d.result == "temperror" then
    local asks = d.have_record and (d.testing and milder(d.policy) or d.policy)
    if asks == "none" or (not asks and dmarc_temperror ~= "tempfail") then return nil end
    msg:count("default.dmarc_temperror")
    return "tempfail", "451 4.7.5 DMARC check of " .. domain .. " failed temporarily (" ..
      (d.reason or "DNS failure") .. "), try again later"
  elseif d.result ~= "fail" then
    return nil
  end
  if disposition ~= "reject" and disposition ~= "quarantine" then return nil end
  local asked = (d.policy_tag or "p") .. "=" .. d.policy .. (d.testing and " t=y" or "")
  if tag_only(domain) then
    msg:count("default.dmarc_tag_only")
    msg:add_header(dmarc_field, "fail (" .. asked .. ", only tagged here)")
    return nil
  end
  msg:add_header(dmarc_field, "fail (" .. asked .. ")")
  msg:count("default.dmarc_" .. disposition)
  if disposition == "quarantine" or dmarc_reject ~= "reject" then return "quarantine" end
  return "reject", "550 5.7.1 Message rejected by the DMARC policy of " .. domain ..
    " (" .. asked .. "): it is not authenticated as mail from " .. domain
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

-- verify - the hook: header checks for everyone, then DMARC for other clients
function verify(msg)
  if msg.authentication_results then
    msg:add_header("Authentication-Results", msg.authentication_results)
  end
  local action, reply = header(msg)
  if action then return action, reply end
  if trust_submitters and (msg.can_relay or msg.auth_user) then
    return "accept"
  end
  action, reply = dmarc(msg)
  if action then return action, reply end
  return "accept"
end
