/*
 * policy_auth.c - msg.spf and msg.dmarc: the SPF and DMARC verdicts of a
 * verified message as tables for the policy script (nil when not evaluated).
 */
#include <lua.h>

#include "policy_int.h"

/* policy_auth_string - t[name] = s (nil for NULL or "") in the table at the top */
static void policy_auth_string(lua_State *L, const char *name, const char *s)
{
	if (s && *s)
		lua_pushstring(L, s);
	else
		lua_pushnil(L);
	lua_setfield(L, -2, name);
}

/* policy_auth_bool - t[name] = b in the table at the top */
static void policy_auth_bool(lua_State *L, const char *name, bool b)
{
	lua_pushboolean(L, b);
	lua_setfield(L, -2, name);
}

/* policy_auth_spf - msg.spf: result, scope, identity, domain, reason, explanation, trusted */
static void policy_auth_spf(lua_State *L, const struct dkmod_session *s)
{
	struct dkmod_spf_answer a;
	if (!s || !dkmod_session_spf(s, &a)) {
		lua_pushnil(L);
		return;
	}
	lua_createtable(L, 0, 8);
	policy_auth_string(L, "result", dkmod_spf_result_name(a.result));
	if (a.trusted && a.trusted[0]) /* taken from this authserv-id's A-R field, not checked here */
		policy_auth_string(L, "trusted", a.trusted);
	policy_auth_string(L, "scope", a.helo_scope ? "helo" : "mailfrom");
	policy_auth_string(L, "identity", a.identity);
	policy_auth_string(L, "domain", a.domain);
	policy_auth_string(L, "reason", a.reason);
	policy_auth_string(L, "explanation", a.explanation);
}

/* policy_auth_dmarc - msg.dmarc: result, policy, disposition, testing, aligned identifiers, domains */
static void policy_auth_dmarc(lua_State *L, const struct dkmod_session *s)
{
	const struct dkmod_dmarc *d = s ? dkmod_session_dmarc(s) : NULL;
	if (!d) {
		lua_pushnil(L);
		return;
	}
	lua_createtable(L, 0, 16);
	const char *strings[][2] = {{"result", dkmod_dmarc_result_name(d->result)},
				    {"reason", d->reason},
				    {"author_domain", d->author_domain},
				    {"org_domain", d->org_domain},
				    {"record_domain", d->record_domain},
				    {"p", d->p},
				    {"sp", d->sp},
				    {"policy", d->policy},
				    {"policy_tag", d->policy_tag},
				    {"disposition", d->disposition},
				    {"dkim_domain", d->dkim_domain},
				    {"spf_domain", d->spf_domain}};
	for (size_t i = 0; i < sizeof strings / sizeof *strings; i++)
		policy_auth_string(L, strings[i][0], strings[i][1]);
	policy_auth_bool(L, "testing", d->testing);
	policy_auth_bool(L, "have_record", d->have_record);
	policy_auth_bool(L, "dkim_aligned", d->dkim_aligned);
	policy_auth_bool(L, "spf_aligned", d->spf_aligned);
}

/* policy_msg_auth - msg.spf and msg.dmarc into the table at the top */
void policy_msg_auth(lua_State *L, const struct dkmod_session *s)
{
	policy_auth_spf(L, s);
	lua_setfield(L, -2, "spf");
	policy_auth_dmarc(L, s);
	lua_setfield(L, -2, "dmarc");
}
