#!/usr/bin/env bash
# t_sandbox.sh - the policy sandbox: escapes (io, os, require, load, dofile,
# string.dump, getfenv/setfenv, debug, rawset, globals, jit, ffi, package,
# collectgarbage, the string metatable), runaway loops (also inside pcall),
# memory bombs (string.rep, concatenation, table growth, memory kept across
# calls), script errors and nonsense results from verify and sign: each gives
# the fallback and a log line, and the next message, in the same process, is
# processed normally.  Header injection from scripts is refused with a log
# line.  Fallback and time limit are configurable; load-time failures are
# configuration errors.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/lib.sh"
cd "$TMP" || exit 1

cat >sandbox.lua <<LUA
local kept
local hoard = {}
function verify(msg)
  local case = msg:header("Subject")
  if case == "io" then io.open("/etc/passwd")
  elseif case == "os" then os.execute("touch $TMP/pwned")
  elseif case == "require" then require("ffi")
  elseif case == "load" then load("return 1")
  elseif case == "loadstring" then loadstring("return 1")
  elseif case == "dofile" then dofile("/etc/passwd")
  elseif case == "dump" then string.dump(verify)
  elseif case == "dump-method" then local s = "x" s.dump(verify)
  elseif case == "getfenv" then getfenv(0)
  elseif case == "setfenv" then setfenv(1, {})
  elseif case == "debug" then debug.getinfo(1)
  elseif case == "rawset" then rawset(_G, "x", 1)
  elseif case == "global" then leaked = 1
  elseif case == "jit" then jit.off()
  elseif case == "ffi" then ffi.C.system("id")
  elseif case == "package" then package.loaded.os.execute("id")
  elseif case == "collectgarbage" then collectgarbage("stop")
  elseif case == "stringmeta" then getmetatable("").__index.dump(verify)
  elseif case == "metatable" then setmetatable(_G, nil)
  elseif case == "msg-write" then msg.sender = "x"
  elseif case == "loop" then while true do end
  elseif case == "for-loop" then local x = 0 for i = 1, 1e15 do x = x + i end
  elseif case == "pcall-loop" then while true do pcall(function() while true do end end) end
  elseif case == "recursion" then local function f(n) return f(n + 1) + 1 end f(1)
  elseif case == "rep" then local s = string.rep("x", 2^30) return "accept", s
  elseif case == "concat" then local s = "x" while true do s = s .. s end
  elseif case == "table" then local t = {} for i = 1, 1e9 do t[i] = { i } end
  elseif case == "hoard" then while true do hoard[#hoard + 1] = ("y"):rep(1e6) .. #hoard end
  elseif case == "error" then error("deliberate")
  elseif case == "error-table" then error({})
  elseif case == "nonsense-number" then return 42
  elseif case == "nonsense-word" then return "maybe"
  elseif case == "nonsense-reply" then return "reject", 42
  elseif case == "reply-crlf" then return "reject", "550 no\r\nX-Injected: yes"
  elseif case == "reply-class" then return "reject", "250 fine"
  elseif case == "reason-word" then return "accept", nil, "forwarded"
  elseif case == "reason-number" then return "accept", nil, 7
  elseif case == "reason-notype" then return "accept", nil, { comment = "x" }
  elseif case == "reason-crlf" then return "accept", nil, { type = "other", comment = "a\r\nb" }
  elseif case == "reason-long" then return "accept", nil, { type = "other", comment = ("c"):rep(201) }
  elseif case == "keep" then kept = msg
  elseif case == "stale" then return kept:header("From")
  elseif case == "inject-value" then msg:add_header("X-Evil", "a\r\nBcc: victim@example.com")
  elseif case == "inject-lf" then msg:add_header("X-Evil", "a\nBcc: victim@example.com")
  elseif case == "inject-nul" then msg:add_header("X-Evil", "a\0b")
  elseif case == "inject-name" then msg:add_header("X-Evil: yes\r\nBcc", "v")
  elseif case == "name-space" then msg:add_header("X Evil", "v")
  elseif case == "name-colon" then msg:add_header("X-Evil:", "v")
  elseif case == "name-8bit" then msg:add_header("X-\195\137vil", "v")
  elseif case == "name-empty" then msg:add_header("", "v")
  end
  msg:add_header("X-Policy", "ok")
  return "accept"
end
LUA
# a generous time limit, so that memory bombs meet the memory limit first even on slow (sanitizer) builds
printf 'policy { file = "sandbox.lua", time_limit = 500 }\nlog { level = "warning" }\n' >sandbox.conf
check "the sandbox script loads" "$DKMOD" config-check sandbox.conf
mail a@example.com "" good >good.eml

# bad CASE WANT_LOG - a message that makes the script misbehave, then a good one
bad() {
	local c=$1 want=$2 rc
	mail a@example.com "" "$c" >"$c.eml"
	"$DKMOD" process --config "${CONF:-sandbox.conf}" "$c.eml" good.eml >out.eml 2>err.txt
	rc=$?
	local a1 a2
	a1=$(sed -n "s/^$c.eml: action=\([a-z]*\).*/\1/p" err.txt)
	a2=$(sed -n 's/^good.eml: action=\([a-z]*\).*/\1/p' err.txt)
	if [ "$a1" = "${FALLBACK:-tempfail}" ] && grep -qF -- "$want" err.txt && grep -q "hook failed" err.txt; then
		pass "$c: fallback and a log line"
	else
		fail "$c: fallback and a log line" "action '$a1', log: $(grep -v '^dkmod: info' err.txt | head -n 3 | tr '\n' ' ')"
	fi
	if [ "$a2" = accept ] && [ "$rc" = 0 ] && grep -q '^X-Policy: ok' out.eml; then
		pass "$c: the next message is processed normally"
	else
		fail "$c: the next message is processed normally" "action '$a2' exit $rc"
	fi
}
bad io "attempt to index global 'io' (a nil value)"
bad os "attempt to index global 'os' (a nil value)"
[ -e "$TMP/pwned" ] && fail "os.execute did not run" "$TMP/pwned exists" || pass "os.execute did not run"
bad require "attempt to call global 'require' (a nil value)"
bad load "attempt to call global 'load' (a nil value)"
bad loadstring "attempt to call global 'loadstring' (a nil value)"
bad dofile "attempt to call global 'dofile' (a nil value)"
bad dump "attempt to call field 'dump' (a nil value)"
bad dump-method "attempt to call field 'dump' (a nil value)"
bad getfenv "attempt to call global 'getfenv' (a nil value)"
bad setfenv "attempt to call global 'setfenv' (a nil value)"
bad debug "attempt to index global 'debug' (a nil value)"
bad rawset "attempt to call global 'rawset' (a nil value)"
bad global "assignment to global 'leaked'"
bad jit "attempt to index global 'jit' (a nil value)"
bad ffi "attempt to index global 'ffi' (a nil value)"
bad package "attempt to index global 'package' (a nil value)"
bad collectgarbage "attempt to call global 'collectgarbage' (a nil value)"
bad stringmeta "attempt to index a boolean value"
bad metatable "cannot change a protected metatable"
bad msg-write "msg is read-only"
bad loop "time limit of 500 ms exceeded"
bad for-loop "time limit of 500 ms exceeded"
bad pcall-loop "time limit of 500 ms exceeded"
bad recursion "stack overflow"
bad rep "memory limit of 32 MB exceeded"
bad concat "memory limit of 32 MB exceeded"
bad table "memory limit of 32 MB exceeded"
bad hoard "memory limit of 32 MB exceeded"
bad error "sandbox.lua:$(grep -n 'error("deliberate")' sandbox.lua | cut -d: -f1): deliberate"
bad error-table "(error object is a table value)"
bad nonsense-number "verify returned a number, not an action"
bad nonsense-word "verify returned 'maybe', not accept, reject, tempfail, discard or quarantine"
bad nonsense-reply "verify returned a number as reply text"
bad reply-crlf "verify returned a bad reply: the reply must be printable ASCII"
bad reply-class "verify returned a bad reply: the reply's code does not fit the action"
bad reason-word "verify's report reason 'forwarded' is not local_policy, mailing_list, other, policy_test_mode or trusted_forwarder (RFC 9990)"
bad reason-number "verify returned a number as report reason"
bad reason-notype "verify's report reason: a table needs type"
bad reason-crlf "verify's report reason: comment must be printable ASCII"
bad reason-long "verify's report reason: comment must be a string of at most 200 bytes"

# a msg kept past its call is dead
mail a@example.com "" keep >keep.eml
mail a@example.com "" stale >stale.eml
"$DKMOD" process --config sandbox.conf keep.eml stale.eml good.eml >out.eml 2>err.txt
check_eq "a kept msg: actions" "$(sed -n 's/^\([^ ]*\): action=\([a-z]*\).*/\1=\2/p' err.txt | tr '\n' ' ')" \
	"keep.eml=accept stale.eml=tempfail good.eml=accept "
if grep -q "this msg belongs to a hook call that has returned" err.txt; then pass "a kept msg: log line"; else fail "a kept msg: log line" "$(cat err.txt)"; fi

# header injection: refused with a log line, the message goes on
for c in inject-value inject-lf inject-nul inject-name name-space name-colon name-8bit name-empty; do
	mail a@example.com "" "$c" >"$c.eml"
	process "$c: accepted" accept 0 --config sandbox.conf "$c.eml"
	if grep -q "add_header(.*) refused" err.txt && ! grep -qi '^bcc:\|^x-evil\|^x evil\|^x-injected' out.eml &&
		has_field out.eml X-Policy ok; then
		pass "$c: refused with a log line"
	else
		fail "$c: refused with a log line" "$(grep -v '^dkmod: info' err.txt | head -n 2 | tr '\n' ' ') / $(sed '/^\r$/q' out.eml | tr '\r\n' '  ')"
	fi
done

# the sign hook
cat >signbad.lua <<'LUA'
function sign(msg)
  local case = msg:header("Subject")
  if case == "sign-string" then return "yes"
  elseif case == "sign-type" then return { { type = "pgp", domain = "example.com", selector = "s", key = "k" } }
  elseif case == "sign-field" then return { { domain = "example.com", selector = "s", key = "k", colour = "red" } }
  elseif case == "sign-template" then return { { domain = "example.com", selector = "s", key = "%{x}.key" } }
  elseif case == "sign-many" then
    local t = {} for i = 1, 9 do t[i] = { domain = "example.com", selector = "s", key = "k" } end return t
  elseif case == "sign-loop" then while true do end
  end
  return nil
end
function verify(msg) msg:add_header("X-Policy", "ok") return "accept" end
LUA
printf 'policy "signbad.lua"\n' >signbad.conf
CONF=signbad.conf
bad sign-string "sign returned a string, not nil or a list of requests"
bad sign-type "request 1: type is dkim or domainkeys, not 'pgp'"
bad sign-field "request 1: unknown field 'colour'"
bad sign-template "request 1: key is missing or a bad template"
bad sign-many "sign returned 9 requests; at most 8"
bad sign-loop "time limit of 100 ms exceeded"

# the fallback and the time limit are configurable
printf 'policy { file = "sandbox.lua", fallback = "accept", time_limit = 20 }\n' >accept.conf
CONF=accept.conf FALLBACK=accept bad loop "time limit of 20 ms exceeded"
printf 'policy { file = "sandbox.lua", fallback = "reject", memory_limit = 8 }\n' >reject.conf
CONF=reject.conf FALLBACK=reject bad concat "memory limit of 8 MB exceeded"
mail a@example.com "" error >e.eml
process "fallback reject: exit 1" reject 1 --config reject.conf e.eml
check_eq "fallback reject: reply" "$(sed -n 's/^action=.* reply="\(.*\)"$/\1/p' err.txt)" "550 5.7.1 Message refused by local policy"
process "fallback tempfail: exit 2" tempfail 2 --config sandbox.conf e.eml
check_eq "fallback tempfail: reply" "$(sed -n 's/^action=.* reply="\(.*\)"$/\1/p' err.txt)" "451 4.3.0 Local policy error, try again later"

# failures while loading the script are configuration errors
loadfail() { # NAME SCRIPT WANT
	printf '%s\n' "$2" >lf.lua
	printf 'policy "lf.lua"\n' >lf.conf
	"$DKMOD" config-check lf.conf >cc.txt 2>&1
	local rc=$?
	if [ "$rc" = 78 ] && grep -qF -- "$3" cc.txt; then pass "$1: config-check"; else fail "$1: config-check" "exit $rc: $(cat cc.txt)"; fi
	mail a@example.com >lf.eml
	"$DKMOD" process --config lf.conf lf.eml >/dev/null 2>cc.txt
	rc=$?
	if [ "$rc" = 78 ] && grep -qF -- "$3" cc.txt; then pass "$1: process exits 78"; else fail "$1: process exits 78" "exit $rc: $(cat cc.txt)"; fi
}
loadfail "syntax error" 'function verify(msg) return "accept" en' "lf.lua:1: 'end' expected"
loadfail "loop at load time" 'while true do end' "lf.lua: loading the script: time limit of 100 ms exceeded"
loadfail "hook of the wrong type" 'verify = 5' "lf.lua: 'verify' is a number, not a function"
loadfail "error at load time" 'local x = nil .. "y"' "lf.lua:1: attempt to concatenate a nil value"
