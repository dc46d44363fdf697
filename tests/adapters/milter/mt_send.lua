-- mt_send.lua - a miltertest(8) script: one message through dkmod-milter the way an MTA
-- sends it, and what the filter answered, one line each, for t_milter.sh to compare.
-- Globals (miltertest -D): sock (the milter socket: unix:PATH, inet:PORT@HOST), msg (a message file, LF or CRLF),
-- ip (client address), daemon ({daemon_name}), user ({auth_authen}, optional),
-- helo (HELO name, default client.example), from (envelope sender; "" is the null sender), pause (seconds to wait after the header block, optional).
-- Output lines: "reply C" (the end-of-message reply: c continue, r reject, t tempfail,
-- d discard, y a reject or tempfail with its own SMTP reply text),
-- "insert NAME: VALUE" for each field of the names below added, "delete NAME",
-- "quarantine".
mt.set_timeout(30)
local conn = mt.connect(sock, 50, 0.1)
if conn == nil then error("cannot connect to " .. sock) end
mt.macro(conn, SMFIC_CONNECT, "j", "mx.example.net", "{daemon_name}", daemon or "MTA")
if mt.conninfo(conn, "client.example", ip or "192.0.2.1") ~= nil then error("conninfo") end
if mt.getreply(conn) ~= SMFIR_CONTINUE then error("connect: unexpected reply") end
-- a milter may negotiate HELO out (OpenDKIM does: SMFIP_NOHELO); miltertest then refuses the call
local helo_ok, helo_err = pcall(mt.helo, conn, helo or "client.example")
if not helo_ok and not tostring(helo_err):find("negotiated", 1, true) then error("helo: " .. tostring(helo_err)) end
if helo_ok and helo_err ~= nil then error("helo") end
if user then
  mt.macro(conn, SMFIC_MAIL, "i", "TESTQ1", "{auth_authen}", user)
else
  mt.macro(conn, SMFIC_MAIL, "i", "TESTQ1")
end
if mt.mailfrom(conn, "<" .. (from or "alice@example.org") .. ">") ~= nil then error("mailfrom") end
if mt.rcptto(conn, "<bob@example.net>") ~= nil then error("rcptto") end

-- the header block: one field at a time, the value with its leading blank and LF folds
local f = assert(io.open(msg, "rb"))
local data = f:read("*a"):gsub("\r\n", "\n")
f:close()
local hend = data:find("\n\n", 1, true)
local head, body = data:sub(1, hend), data:sub(hend + 2)
local name, value
local function flush()
  if name then
    if mt.header(conn, name, value) ~= nil then error("header " .. name) end
  end
end
for line in head:gmatch("([^\n]*)\n") do
  if line:match("^[ \t]") and name then
    value = value .. "\n" .. line
  else
    flush()
    name, value = line:match("^([^:]+):(.*)$")
  end
end
flush()
if mt.eoh(conn) ~= nil then error("eoh") end
if pause then mt.sleep(tonumber(pause)) end
body = body:gsub("\n", "\r\n")
local at = 1
while at <= #body do
  if mt.bodystring(conn, body:sub(at, at + 65534)) ~= nil then error("body") end
  at = at + 65535
end
if mt.eom(conn) ~= nil then error("eom") end
print("reply " .. string.char(mt.getreply(conn)))
for _, h in ipairs({"Authentication-Results", "DomainKey-Status", "DKIM-Signature",
                    "DomainKey-Signature", "X-Dkmod-Quarantine", "Received-SPF"}) do
  local n = 0
  while true do
    local v = mt.getheader(conn, h, n)
    if v == nil then break end
    print("insert " .. h .. ":" .. v:gsub("\r?\n", " "))
    n = n + 1
  end
  if mt.eom_check(conn, MT_HDRDELETE, h) then print("delete " .. h) end
end
if mt.eom_check(conn, MT_QUARANTINE) then print("quarantine") end
mt.disconnect(conn)
