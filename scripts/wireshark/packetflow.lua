-- SPDX-License-Identifier: BSD-3-Clause
-- packetflow.lua: Wireshark dissector of the PacketFlow frame (40-byte header
-- plus TLVs, UDP port 7447), validating it exactly as pf_decode() does.
--
-- Load it with `tshark -X lua_script:scripts/wireshark/packetflow.lua` or copy
-- it into ~/.local/lib/wireshark/plugins/. docs/wire-protocol.md is the
-- reference; tests/wireshark/test_dissector.sh checks this file against the
-- document's test vectors.

local PF_HDR_LEN = 40
local PF_TLV_HDR_LEN = 4
local PF_MAGIC = 0x5046
local PF_VERSION = 1
local PF_UDP_PORT = 7447
local PF_GROUP_COUNT = 6
local PF_ELEMENTS_PER_GROUP = 4
local PF_FLAG_ALL = 0x07
local PF_FIELD_CONTRACT_MAX = 63

-- Tables from docs/wire-protocol.md; keep them in step with lib/pf_wire.h.

local msg_types = {
	[1] = "request",
	[2] = "response",
	[3] = "error",
	[4] = "heartbeat",
}

local groups = {
	[0] = "not named",
	[1] = "CF",
	[2] = "DF",
	[3] = "ED",
	[4] = "CO",
	[5] = "MC",
	[6] = "RM",
}

local group_purposes = {
	[1] = "control flow",
	[2] = "data flow",
	[3] = "event driven",
	[4] = "collective",
	[5] = "meta-computational",
	[6] = "resource management",
}

-- element symbol by group, then index within the group
local elements = {
	[1] = { "seq", "br", "lp", "ex" },
	[2] = { "pr", "cs", "tr", "ag" },
	[3] = { "sg", "tm", "th", "pt" },
	[4] = { "ba", "bc", "ga", "el" },
	[5] = { "sp", "mg", "ad", "rf" },
	[6] = { "al", "rl", "lk", "ca" },
}

local FIELD_INTENT, FIELD_DATA, FIELD_KEY, FIELD_VALUE = 1, 2, 3, 4
local FIELD_ERROR_CODE, FIELD_ERROR_MSG, FIELD_COUNT, FIELD_MATCH = 5, 6, 7, 8
local FIELD_RESULT, FIELD_TTL, FIELD_TOKEN, FIELD_STAGE = 9, 10, 11, 12

local field_names = {
	[FIELD_INTENT] = "intent",
	[FIELD_DATA] = "data",
	[FIELD_KEY] = "key",
	[FIELD_VALUE] = "value",
	[FIELD_ERROR_CODE] = "error_code",
	[FIELD_ERROR_MSG] = "error_msg",
	[FIELD_COUNT] = "count",
	[FIELD_MATCH] = "match",
	[FIELD_RESULT] = "result",
	[FIELD_TTL] = "ttl",
	[FIELD_TOKEN] = "token",
	[FIELD_STAGE] = "stage",
}

local error_codes = {
	[1] = "malformed",
	[2] = "unsupported_version",
	[3] = "unknown_capability",
	[4] = "missing_field",
	[5] = "payload_too_large",
	[6] = "denied",
	[7] = "forbidden",
	[8] = "rate_limited",
	[9] = "unclassified",
	[10] = "execution_failed",
	[11] = "overloaded",
	[12] = "not_found",
	[13] = "bad_argument",
}

-- decoder verdicts, as pf_decode_err_name() spells them
local verdict_text = {
	truncated = "shorter than the header or its declared payload",
	bad_magic = "first two bytes are not 0x5046",
	bad_version = "version is not 1",
	bad_type = "message type not 1..4",
	length_mismatch = "bytes follow the declared payload",
	bad_group = "group not 0..6",
	bad_element = "element not 0..4, or set without a group",
	bad_flags = "undefined flag bits set",
	bad_tlv = "TLV header or value runs past the payload",
	dup_tlv = "a contract field appears twice",
}

local pf = Proto("packetflow", "PacketFlow Protocol")

local hf = {
	verdict = ProtoField.string("pf.verdict", "Decoder verdict", base.ASCII,
		"ok, or the pf_decode() error name of the first malformation"),
	magic = ProtoField.uint16("pf.magic", "Magic", base.HEX),
	version = ProtoField.uint8("pf.version", "Version", base.DEC),
	type = ProtoField.uint8("pf.type", "Type", base.DEC, msg_types),
	group = ProtoField.uint8("pf.group", "Group", base.DEC, groups),
	element = ProtoField.uint8("pf.element", "Element", base.DEC, nil,
		nil, "index within the group, 1..4; 0 = not named"),
	symbol = ProtoField.string("pf.element.symbol", "Element symbol", base.ASCII,
		"periodic table symbol of group + element"),
	atomic = ProtoField.uint8("pf.element.number", "Atomic number", base.DEC,
		nil, nil, "(group - 1) * 4 + element"),
	capability = ProtoField.uint16("pf.capability", "Capability", base.DEC,
		nil, nil, "registry id; 0 = not named, classify the intent"),
	priority = ProtoField.uint8("pf.priority", "Priority", base.DEC),
	flags = ProtoField.uint8("pf.flags", "Flags", base.HEX),
	flag_trace = ProtoField.bool("pf.flags.trace", "TRACE", 8, nil, 0x01,
		"trace effect requested"),
	flag_noreply = ProtoField.bool("pf.flags.noreply", "NOREPLY", 8, nil, 0x02,
		"no response wanted"),
	flag_replica = ProtoField.bool("pf.flags.replica", "REPLICA", 8, nil, 0x04,
		"response made by a replicated copy"),
	flag_undef = ProtoField.uint8("pf.flags.undefined", "Undefined bits", base.HEX,
		nil, 0xf8),
	complexity = ProtoField.uint8("pf.complexity", "Complexity", base.DEC),
	reserved0 = ProtoField.uint8("pf.reserved0", "Reserved", base.HEX),
	payload_len = ProtoField.uint16("pf.payload_len", "Payload length", base.DEC),
	reserved1 = ProtoField.uint16("pf.reserved1", "Reserved", base.HEX),
	trace_id = ProtoField.uint64("pf.trace_id", "Trace ID", base.HEX),
	session_id = ProtoField.uint32("pf.session_id", "Session ID", base.DEC),
	seq = ProtoField.uint32("pf.seq", "Sequence", base.DEC),
	timestamp = ProtoField.uint64("pf.timestamp", "Timestamp", base.HEX),
	tlv_id = ProtoField.uint16("pf.tlv.id", "Field", base.DEC, field_names),
	tlv_len = ProtoField.uint16("pf.tlv.len", "Length", base.DEC),
	tlv_value = ProtoField.bytes("pf.tlv.value", "Value"),
	intent = ProtoField.string("pf.intent", "Intent", base.UNICODE),
	data = ProtoField.bytes("pf.data", "Data"),
	key = ProtoField.bytes("pf.key", "Key"),
	value = ProtoField.bytes("pf.value", "Value"),
	error_code = ProtoField.uint16("pf.error_code", "Error code", base.DEC, error_codes),
	error_msg = ProtoField.string("pf.error_msg", "Error message", base.UNICODE),
	count = ProtoField.uint64("pf.count", "Count", base.DEC),
	match = ProtoField.uint32("pf.match", "Matched pattern", base.DEC),
	result = ProtoField.bytes("pf.result", "Result"),
	ttl = ProtoField.uint32("pf.ttl", "TTL (ms)", base.DEC),
	token = ProtoField.bytes("pf.token", "Token"),
	stage = ProtoField.uint8("pf.stage", "Stage", base.DEC),
}
pf.fields = hf

local ef = {
	malformed = ProtoExpert.new("pf.malformed", "Malformed PacketFlow frame",
		expert.group.MALFORMED, expert.severity.ERROR),
	tlv_size = ProtoExpert.new("pf.tlv.bad_size", "TLV value has the wrong size for its field",
		expert.group.PROTOCOL, expert.severity.WARN),
	snapped = ProtoExpert.new("pf.snapped", "Frame cut short by the capture length",
		expert.group.UNDECODED, expert.severity.NOTE),
}
pf.experts = ef

pf.prefs.udp_port = Pref.uint("UDP port", PF_UDP_PORT,
	"UDP port of PacketFlow frames (dataplane.udp_port in the config)")

local function element_symbol(group, element)
	local g = elements[group]
	return g and g[element]
end

-- Header fields: offset, size, field. Only fields that were captured whole
-- are shown, so a truncated frame still shows what it carries.
local header_layout = {
	{ 0, 2, "magic" }, { 2, 1, "version" }, { 3, 1, "type" },
	{ 4, 1, "group" }, { 5, 1, "element" }, { 6, 2, "capability" },
	{ 8, 1, "priority" }, { 9, 1, "flags" }, { 10, 1, "complexity" },
	{ 11, 1, "reserved0" }, { 12, 2, "payload_len" }, { 14, 2, "reserved1" },
	{ 16, 8, "trace_id" }, { 24, 4, "session_id" }, { 28, 4, "seq" },
	{ 32, 8, "timestamp" },
}

local function add_header(tvb, tree, caplen)
	local items = {}
	for _, f in ipairs(header_layout) do
		local off, size, name = f[1], f[2], f[3]
		if off + size > caplen then
			break
		end
		local item = tree:add(hf[name], tvb(off, size))
		items[name] = item
		if name == "group" and group_purposes[tvb(4, 1):uint()] then
			item:append_text(", " .. group_purposes[tvb(4, 1):uint()])
		elseif name == "element" then
			local g, e = tvb(4, 1):uint(), tvb(5, 1):uint()
			local sym = element_symbol(g, e)
			if sym then
				item:append_text(" (" .. sym .. ")")
				tree:add(hf.symbol, tvb(4, 2), sym):set_generated()
				tree:add(hf.atomic, tvb(4, 2), (g - 1) * 4 + e):set_generated()
			end
		elseif name == "flags" then
			item:add(hf.flag_trace, tvb(off, 1))
			item:add(hf.flag_noreply, tvb(off, 1))
			item:add(hf.flag_replica, tvb(off, 1))
			item:add(hf.flag_undef, tvb(off, 1))
		end
	end
	return items
end

-- The checks of pf_decode(), in its order. Returns "ok" or the verdict, and
-- the name of the header item the fault belongs to (nil for the frame);
-- returns nil when the capture kept too little of the header to judge it.
local function check_header(tvb, len, caplen)
	if len < PF_HDR_LEN then
		return "truncated"
	end
	if caplen < PF_HDR_LEN then
		return nil
	end
	if tvb(0, 2):uint() ~= PF_MAGIC then
		return "bad_magic", "magic"
	end
	if tvb(2, 1):uint() ~= PF_VERSION then
		return "bad_version", "version"
	end
	local t = tvb(3, 1):uint()
	if t < 1 or t > 4 then
		return "bad_type", "type"
	end
	local plen = tvb(12, 2):uint()
	if len < PF_HDR_LEN + plen then
		return "truncated", "payload_len"
	end
	if len > PF_HDR_LEN + plen then
		return "length_mismatch", "payload_len"
	end
	local g, e = tvb(4, 1):uint(), tvb(5, 1):uint()
	if g > PF_GROUP_COUNT then
		return "bad_group", "group"
	end
	if e > PF_ELEMENTS_PER_GROUP or (e ~= 0 and g == 0) then
		return "bad_element", "element"
	end
	-- flags is one byte, so "a bit outside PF_FLAG_ALL" is "above 0x07"
	if tvb(9, 1):uint() > PF_FLAG_ALL then
		return "bad_flags", "flags"
	end
	return "ok"
end

-- Typed view of a well-known field's value. Numeric fields of the wrong
-- size are shown raw with a warning: pf_decode() accepts them, the
-- consumer (pf_tlv_u16() and friends) rejects them.
local function add_typed(tree, id, range, len)
	local function sized(n)
		if len == n then
			return true
		end
		tree:add_tvb_expert_info(ef.tlv_size, range,
			string.format("%s must be %d bytes, not %d", field_names[id], n, len))
		return false
	end

	if id == FIELD_INTENT then
		tree:add_packet_field(hf.intent, range, ENC_UTF_8)
	elseif id == FIELD_DATA then
		tree:add(hf.data, range)
	elseif id == FIELD_KEY then
		tree:add(hf.key, range)
	elseif id == FIELD_VALUE then
		tree:add(hf.value, range)
	elseif id == FIELD_ERROR_CODE then
		if sized(2) then
			tree:add(hf.error_code, range)
			return range:uint()
		end
	elseif id == FIELD_ERROR_MSG then
		tree:add_packet_field(hf.error_msg, range, ENC_UTF_8)
	elseif id == FIELD_COUNT then
		if sized(8) then
			tree:add(hf.count, range)
		end
	elseif id == FIELD_MATCH then
		if len % 4 ~= 0 then
			tree:add_tvb_expert_info(ef.tlv_size, range,
				string.format("match holds u32 ids, %d is not a multiple of 4", len))
		else
			for o = 0, len - 4, 4 do
				tree:add(hf.match, range:range(o, 4))
			end
		end
	elseif id == FIELD_RESULT then
		tree:add(hf.result, range)
	elseif id == FIELD_TTL then
		if sized(4) then
			tree:add(hf.ttl, range)
		end
	elseif id == FIELD_TOKEN then
		tree:add(hf.token, range)
	elseif id == FIELD_STAGE then
		for o = 0, len - 1 do
			tree:add(hf.stage, range:range(o, 1))
		end
	end
	return nil
end

-- scan_tlvs() of lib/pf_wire.c: "ok", or "bad_tlv" / "dup_tlv" and the
-- offset of the TLV at fault; nil when a TLV header that decides it was
-- not captured.
local function scan_tlvs(tvb, caplen, plen)
	local off = PF_HDR_LEN
	local left = plen
	local seen = {}

	while left > 0 do
		if left < PF_TLV_HDR_LEN then
			return "bad_tlv", off
		end
		if off + PF_TLV_HDR_LEN > caplen then
			return nil
		end
		local id = tvb(off, 2):uint()
		local len = tvb(off + 2, 2):uint()
		if len > left - PF_TLV_HDR_LEN then
			return "bad_tlv", off
		end
		if id >= 1 and id <= PF_FIELD_CONTRACT_MAX then
			if seen[id] then
				return "dup_tlv", off
			end
			seen[id] = true
		end
		off = off + PF_TLV_HDR_LEN + len
		left = left - PF_TLV_HDR_LEN - len
	end
	return "ok"
end

-- Show the TLVs up to the end of the payload or the first one that does
-- not fit. Returns the tree item of each TLV by offset, and the error code
-- of an error frame.
local function add_tlvs(tvb, tree, caplen, plen)
	local off = PF_HDR_LEN
	local left = plen
	local items = {}
	local code

	while left > 0 do
		if left < PF_TLV_HDR_LEN then
			if caplen > off then
				items[off] = tree:add(tvb(off, math.min(left, caplen - off)),
					string.format("Incomplete TLV header, %d bytes", left))
			end
			break
		end
		if off + PF_TLV_HDR_LEN > caplen then
			tree:add_proto_expert_info(ef.snapped)
			break
		end
		local id = tvb(off, 2):uint()
		local len = tvb(off + 2, 2):uint()
		local name = field_names[id] or ("field " .. id)
		local whole = math.min(PF_TLV_HDR_LEN + len, left, caplen - off)
		local sub = tree:add(tvb(off, whole), string.format("TLV %s, %d byte%s",
			name, len, len == 1 and "" or "s"))
		items[off] = sub
		sub:add(hf.tlv_id, tvb(off, 2))
		sub:add(hf.tlv_len, tvb(off + 2, 2))
		if len > left - PF_TLV_HDR_LEN then
			break
		end
		local voff = off + PF_TLV_HDR_LEN
		if voff + len > caplen then
			sub:add_proto_expert_info(ef.snapped)
			break
		end
		-- a zero-length TLV is legal; it has no value to show
		if len > 0 then
			local range = tvb(voff, len)
			sub:add(hf.tlv_value, range)
			local c = add_typed(sub, id, range, len)
			if c and not code then
				code = c
			end
		end
		off = voff + len
		left = left - PF_TLV_HDR_LEN - len
	end
	return items, code
end

local function summary(tvb, code)
	local t = tvb(3, 1):uint()
	local g, e = tvb(4, 1):uint(), tvb(5, 1):uint()
	local s = msg_types[t] or ("type " .. t)
	if g ~= 0 or e ~= 0 then
		local where = (g ~= 0 and groups[g]) or ("group" .. g)
		if e ~= 0 then
			where = where .. "." .. (element_symbol(g, e) or tostring(e))
		end
		s = s .. " " .. where
	end
	s = string.format("%s cap=%d sess=%d seq=%d", s, tvb(6, 2):uint(),
		tvb(24, 4):uint(), tvb(28, 4):uint())
	if code then
		s = s .. " code=" .. (error_codes[code] or tostring(code))
	end
	return s
end

function pf.dissector(tvb, pinfo, tree)
	-- verdicts depend on the datagram's length, reads on what was captured
	local len = tvb:reported_len()
	local caplen = tvb:len()

	pinfo.cols.protocol = "PacketFlow"
	-- an empty datagram has no range to cover
	local root = caplen > 0 and tree:add(pf, tvb()) or tree:add(pf)

	-- the whole verdict first, so that pf.verdict can lead the tree; a
	-- frame the capture cut short may have none
	local verdict, culprit = check_header(tvb, len, caplen)
	local tlvs_fit = verdict == "ok" or verdict == "bad_group"
		or verdict == "bad_element" or verdict == "bad_flags"
	local plen = tlvs_fit and tvb(12, 2):uint() or 0
	if verdict == "ok" then
		verdict, culprit = scan_tlvs(tvb, caplen, plen)
	end

	if verdict then
		root:add(hf.verdict, verdict):set_generated()
	else
		root:add_proto_expert_info(ef.snapped,
			"Frame cut short by the capture length, no verdict")
	end
	local items = add_header(tvb, root, caplen)
	local code
	if tlvs_fit then
		local tlv_items
		tlv_items, code = add_tlvs(tvb, root, caplen, plen)
		if type(culprit) == "number" then
			culprit = tlv_items[culprit]
		end
	end

	if verdict and verdict ~= "ok" then
		local target = (type(culprit) == "string" and items[culprit])
			or (type(culprit) == "userdata" and culprit) or root
		target:add_proto_expert_info(ef.malformed,
			string.format("Malformed PacketFlow frame: %s (%s)", verdict,
				verdict_text[verdict]))
	end
	root:append_text(", " .. (verdict or "cut short by the capture"))

	-- a summary needs a readable header with a known type
	local info
	if caplen >= PF_HDR_LEN and tvb(0, 2):uint() == PF_MAGIC
		and tvb(2, 1):uint() == PF_VERSION and msg_types[tvb(3, 1):uint()] then
		info = summary(tvb, code)
		if verdict ~= "ok" then
			info = info .. " [" .. (verdict or "cut short by the capture") .. "]"
		end
	elseif verdict then
		info = "Malformed frame: " .. verdict
	else
		info = "Frame cut short by the capture length"
	end
	pinfo.cols.info:set(info)
	return caplen
end

-- Heuristic for other ports: magic and version, as the dataplane's own
-- classifier would need; everything else is judged by the dissector.
local function heuristic(tvb, pinfo, tree)
	if tvb:len() < 3 then
		return false
	end
	if tvb(0, 2):uint() ~= PF_MAGIC or tvb(2, 1):uint() ~= PF_VERSION then
		return false
	end
	pf.dissector(tvb, pinfo, tree)
	return true
end

local udp_port_table = DissectorTable.get("udp.port")
local registered_port = pf.prefs.udp_port
udp_port_table:add(registered_port, pf)
pf:register_heuristic("udp", heuristic)

function pf.prefs_changed()
	if registered_port ~= pf.prefs.udp_port then
		if registered_port ~= 0 then
			udp_port_table:remove(registered_port, pf)
		end
		registered_port = pf.prefs.udp_port
		if registered_port ~= 0 then
			udp_port_table:add(registered_port, pf)
		end
	end
end
