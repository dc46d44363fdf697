-- strict.lua - an example policy (dkmod-lua(7)): reject every message that carries
-- a signature which fails or cannot be used (fail, permerror); a key that could not
-- be looked up (temperror) defers the message instead.  Unsigned mail is accepted.

function verify(msg)
  if msg.authentication_results then
    msg:add_header("Authentication-Results", msg.authentication_results)
  end
  for _, s in ipairs(msg.signatures) do
    if s.result == "temperror" then
      return "tempfail", "451 4.7.5 key lookup for " .. (s.d or "?") .. " failed, try again later"
    end
  end
  for _, s in ipairs(msg.signatures) do
    if s.result == "fail" or s.result == "permerror" then
      msg:count("strict.reject")
      return "reject", "550 5.7.1 " .. s.method .. " signature of " .. (s.d or "an unknown domain") ..
        " is " .. s.result .. " (" .. s.reason .. ")"
    end
  end
  return "accept"
end
