/* SPDX-License-Identifier: BSD-3-Clause */
/* status.c: the status page -- one self-contained HTML page (no external
 * files) that polls /stats and /health with the viewer token given in the
 * URL fragment (#token=...) and draws the periodic table with live rates,
 * drops by reason and per-lcore load. */
#include <string.h>

#include "pfc.h"

/* The token stays in the fragment: browsers never send it to the server,
 * and the page itself carries no data, so it needs no authentication. */
static const char page[] =
"<!doctype html>\n"
"<html lang=en><head><meta charset=utf-8>\n"
"<meta name=viewport content='width=device-width'>\n"
"<title>PacketFlow status</title>\n"
"<style>\n"
"body{font:14px/1.35 'DejaVu Sans',sans-serif;margin:18px;background:#f6f7f9;color:#1c2430}\n"
"h1{font-size:20px;margin:0 0 4px}h2{font-size:15px;margin:18px 0 6px}\n"
"#state{font-weight:bold}.ok{color:#17803d}.bad{color:#c0262d}\n"
"table{border-collapse:collapse}\n"
"#ptable td{width:150px;height:64px;border:1px solid #c9ced6;vertical-align:top;padding:4px 6px;background:#fff}\n"
"#ptable th{padding:4px;font-size:13px}\n"
"td .sym{font-size:20px;font-weight:bold}td .nm{font-size:11px;color:#555}\n"
"td .rate{float:right;font-weight:bold}td .tot{font-size:11px;color:#333}\n"
".g1{border-top:4px solid #3b82f6!important}.g2{border-top:4px solid #10b981!important}\n"
".g3{border-top:4px solid #f59e0b!important}.g4{border-top:4px solid #8b5cf6!important}\n"
".g5{border-top:4px solid #ef4444!important}.g6{border-top:4px solid #6b7280!important}\n"
".side{display:flex;gap:36px;flex-wrap:wrap}\n"
".list td{padding:2px 10px;border-bottom:1px solid #e3e6ea}.num{text-align:right}\n"
".bar{display:inline-block;height:10px;background:#3b82f6;vertical-align:middle}\n"
"#tokenbox{display:none;margin:10px 0}\n"
"</style></head><body>\n"
"<h1>PacketFlow &mdash; live status</h1>\n"
"<div>dataplane: <span id=state>connecting&hellip;</span> &middot; rx <span id=rx>-</span>/s"
" &middot; tx <span id=tx>-</span>/s &middot; drops <span id=dr>-</span>/s"
" &middot; updated <span id=upd>never</span></div>\n"
"<div id=tokenbox>API token (viewer): <input id=tok size=40> <button id=go>show</button></div>\n"
"<h2>Periodic table &mdash; executions per second (total)</h2>\n"
"<table id=ptable></table>\n"
"<div class=side><div><h2>Drops by reason</h2><table class=list id=drops></table></div>\n"
"<div><h2>Lcores</h2><table class=list id=lcores></table></div>\n"
"<div><h2>Registry</h2><table class=list id=reg></table></div></div>\n"
"<script>\n"
"'use strict';\n"
"const G=['CF','DF','ED','CO','MC','RM'];\n"
"let token=(location.hash.match(/token=([^&]+)/)||[])[1]||localStorage.getItem('pfToken')||'';\n"
"const $=id=>document.getElementById(id);\n"
"function fmt(x){x=+x||0;return x>=1e6?(x/1e6).toFixed(1)+'M':x>=1e4?(x/1e3).toFixed(1)+'k':x>=10?x.toFixed(0):x.toFixed(1)}\n"
"function esc(s){return String(s).replace(/[&<>\"']/g,c=>'&#'+c.charCodeAt(0)+';')}\n"
"function table(el){\n"
" let h='<tr>'+G.map((g,i)=>'<th>'+g+'</th>').join('')+'</tr>';\n"
" for(let r=0;r<4;r++){h+='<tr>';for(let g=0;g<6;g++){const e=el[g*4+r];\n"
"  h+='<td class=g'+(g+1)+' id=\"el-'+e.group+'-'+e.symbol+'\" data-exec='+e.exec+' data-rate='+e.rate.toFixed(1)+'>'\n"
"   +'<span class=rate>'+fmt(e.rate)+'/s</span><div class=sym>'+esc(e.symbol)+'</div>'\n"
"   +'<div class=nm>'+esc(e.name)+'</div><div class=tot>'+e.exec+' total'+(e.errors?', '+e.errors+' err':'')+'</div></td>'}\n"
"  h+='</tr>'}\n"
" $('ptable').innerHTML=h}\n"
"async function get(p){const r=await fetch(p,{headers:{Authorization:'Bearer '+token},cache:'no-store'});\n"
" if(r.status==401||r.status==403){$('tokenbox').style.display='block';throw new Error('token refused ('+r.status+')')}\n"
" return r.json()}\n"
"async function tick(){\n"
" try{const s=await get('/stats'),h=await get('/health');\n"
"  const st=$('state');st.textContent=s.alive?'alive':(s.dataplane?'not alive':'absent');st.className=s.alive?'ok':'bad';\n"
"  if(s.dataplane){$('rx').textContent=fmt(s.totals.rx_rate);$('tx').textContent=fmt(s.totals.tx_rate);\n"
"   $('dr').textContent=fmt(s.totals.drop_rate);table(s.elements);\n"
"   $('drops').innerHTML='<tr><th>reason</th><th>/s</th><th>total</th></tr>'+Object.entries(s.drops)\n"
"    .map(([k,v])=>'<tr><td>'+esc(k)+'</td><td class=num>'+fmt(v.rate)+'</td><td class=num>'+v.total+'</td></tr>').join('');\n"
"   $('lcores').innerHTML='<tr><th>lcore</th><th>state</th><th>rx/s</th><th>load</th></tr>'+s.lcores.map(l=>\n"
"    '<tr><td>'+l.lcore+'</td><td class='+(l.alive?'ok':'bad')+'>'+(l.alive?'alive':'dead')+'</td><td class=num>'+fmt(l.rx_rate)\n"
"    +'</td><td><span class=bar style=\"width:'+Math.round(l.load*100)+'px\"></span> '+(l.load*100).toFixed(1)+'%</td></tr>').join('')}\n"
"  $('reg').innerHTML='<tr><td>capabilities</td><td class=num>'+h.registry.capabilities+'</td></tr>'\n"
"   +'<tr><td>rules</td><td class=num>'+h.rules.count+'</td></tr><tr><td>state version</td><td class=num>'+h.control.state_version+'</td></tr>'\n"
"   +'<tr><td>synced</td><td>'+(h.dataplane.synced?'yes':'no')+'</td></tr><tr><td>pf-control</td><td>'+esc(h.version)+'</td></tr>';\n"
"  $('upd').textContent=new Date().toLocaleTimeString();\n"
" }catch(e){const st=$('state');st.textContent=e.message;st.className='bad'}\n"
" setTimeout(tick,1000)}\n"
"$('go').onclick=()=>{token=$('tok').value.trim();localStorage.setItem('pfToken',token);$('tokenbox').style.display='none'};\n"
"tick();\n"
"</script></body></html>\n";

void
pf_api_status_page(struct pfc *d, struct pf_req *r, const char *arg)
{
	(void)d;
	(void)arg;
	pf_http_reply(r, 200, "text/html; charset=utf-8", page, sizeof(page) - 1);
}
