-- testing.lua - an example policy (dkmod-lua(7)) for a trial period: it never
-- rejects, defers or discards; it adds Authentication-Results and, where
-- default.lua (DMARC) or examples/historic.lua (DomainKeys o=-, ADSP) would have
-- acted, an X-Dkmod-Would: field saying what and why (a signature that leaves
-- part of the body unsigned, l=, authenticates nothing for these decisions).

-- would - note what an acting policy would have done
local function would(msg, what)
  msg:add_header("X-Dkmod-Would", what)
  msg:count("testing.would")
  msg:log("would " .. what)
end

-- dmarc_would - what default.lua would do with the DMARC verdict (it also takes a pass
-- resting only on l= signatures as a fail: see the note on partial signatures below)
local function dmarc_would(msg)
  local d = msg.dmarc
  if not d or not d.author_domain then return end
  local asked = (d.policy_tag or "p") .. "=" .. (d.policy or "none")
  if d.result == "fail" and (d.disposition == "reject" or d.disposition == "quarantine") then
    would(msg, d.disposition .. ": DMARC policy of " .. d.author_domain .. " (" .. asked .. ")")
  elseif d.result == "temperror" and d.have_record and d.policy ~= "none" and
      not (d.testing and d.policy == "quarantine") then
    would(msg, "tempfail: DMARC check of " .. d.author_domain .. " failed temporarily")
  end
end

-- verify - the hook: accept everything, saying what would have happened
function verify(msg)
  if msg.authentication_results then
    msg:add_header("Authentication-Results", msg.authentication_results)
  end
  dmarc_would(msg)
  local sd, ad = msg.sender_domain, msg.author_domain
  local p = sd and msg:dk_policy(sd)
  if p and p.verdict == "reject" then
    would(msg, "reject: " .. sd .. " signs all its mail (DomainKeys o=-)")
  elseif p and p.verdict == "temperror" then
    would(msg, "tempfail: DomainKeys policy lookup of " .. sd .. " failed")
  end
  local a = ad and msg:adsp(ad)
  local full = false -- an author signature that covers the whole body (default.lua ignores l= ones)
  for _, s in ipairs(msg.signatures) do
    if s.method == "dkim" and s.result == "pass" and not s.partial_body and s.d and ad and s.d:lower() == ad:lower() then
      full = true
    end
  end
  if a and a.result == "pass" and not full and (a.practice == "discardable" or a.practice == "all") then
    would(msg, (a.practice == "discardable" and "discard" or "tag") .. ": " .. ad ..
      " signed only part of the body (l=), which is no author signature")
  elseif a and a.result == "discard" then
    would(msg, "discard: " .. ad .. " publishes ADSP discardable")
  elseif a and a.result == "temperror" then
    would(msg, "tempfail: ADSP lookup of " .. ad .. " failed")
  elseif a and a.result == "fail" then
    would(msg, "tag: ADSP all without an author signature")
  end
  for _, s in ipairs(msg.signatures) do
    if s.result ~= "pass" then
      would(msg, "note: " .. s.method .. " signature of " .. (s.d or "?") .. " is " .. s.result)
    elseif s.partial_body then
      would(msg, "note: " .. s.method .. " signature of " .. (s.d or "?") .. " leaves part of the body unsigned (l=)")
    end
  end
  return "accept"
end
