-- check.lua: Lua features that go through longjmp (errors, pcall, coroutine
-- yields) and plenty that does not; its output must be the same byte for
-- byte under wrun (liblua.wasm split from the main), the static twin and
-- the host's lua5.4.

-- errors and protected calls
print(pcall(error, "plain"))
print(select("#", pcall(error, { code = 42 })), type(select(2, pcall(error, {}))))
print(select(2, pcall(error, setmetatable({}, { __tostring = function() return "custom" end }))) ~= nil)
local ok, msg = pcall(function() local t = nil; return t.x end)
print(ok, (msg:gsub("^.-:%d+: ", "")))
print(pcall(function() error("level 0", 0) end))
print(xpcall(function() error("handled", 0) end, function(m) return "handler saw: " .. m end))
-- nested protected calls, the inner error caught, the outer one too
print(pcall(function()
  local inner = { pcall(error, "inner", 0) }
  error("outer after " .. tostring(inner[2]), 0)
end))
-- an error thrown through many Lua frames and a C boundary (table.sort's comparator)
local function deep(n) if n == 0 then error("deep", 0) end return deep(n - 1) + 1 end
print(pcall(deep, 150))
print(pcall(table.sort, { 3, 1, 2 }, function(a, b) error("cmp", 0) end))
-- runaway recursion: Lua's own stack-overflow error, caught
local function runaway(n) return 1 + runaway(n + 1) end
local ok2, err2 = pcall(runaway, 1)
print(ok2, err2:match("stack overflow") ~= nil)
-- error in a metamethod and in string.rep's argument checking
print(pcall(function() return setmetatable({}, { __add = function() error("no add", 0) end }) + 1 end))
print(pcall(string.rep))

-- coroutines: generators, yields across pcall, errors inside, wrap
local function gen(n)
  return coroutine.wrap(function() for i = 1, n do coroutine.yield(i * i) end end)
end
local squares = {}
for v in gen(8) do squares[#squares + 1] = v end
print(table.concat(squares, " "))
local co = coroutine.create(function(a, b)
  local c = coroutine.yield(a + b)
  local ok3, d = pcall(function() return coroutine.yield(c * 2) end)
  error("done with " .. tostring(d), 0)
end)
print(coroutine.resume(co, 1, 2))
print(coroutine.resume(co, 10))
print(coroutine.resume(co, "x"))
print(coroutine.status(co), coroutine.resume(co))
-- many coroutines, each yielding many times
local total = 0
for k = 1, 200 do
  local c2 = coroutine.wrap(function() for i = 1, 50 do coroutine.yield(i) end return 0 end)
  for _ = 1, 51 do total = total + c2() end
end
print("coroutine total", total)

-- strings, numbers, tables
print(string.format("%d %5.2f %x %q %s", 42, math.pi, 255, "a\nb", 1 / 3))
print(("hello world from lua"):gsub("(%w+)", string.upper))
print(math.maxinteger + 1 == math.mininteger, 7 // 2, -7 // 2, 7 % -3, 2 ^ 10, 10 / 4)
print(string.pack("<i4", 0x01020304):byte(1, -1))
print(utf8.char(72, 228, 8364, 128512), utf8.len("häll€"))
local words = {}
for w in ("the quick brown fox jumps over the lazy dog"):gmatch("%a+") do words[#words + 1] = w end
table.sort(words, function(a, b) return #a < #b or (#a == #b and a < b) end)
print(table.concat(words, ","))
local fib = setmetatable({}, { __index = function(t, n)
  local v = n < 2 and n or t[n - 1] + t[n - 2]; t[n] = v; return v end })
print(fib[90])
local acc = 0
for i = 1, 300000 do acc = (acc + i * i) % 1000003 end
print("loop", acc)
print(os.time{year = 2020, month = 1, day = 1, hour = 12} ~= nil, os.tmpname and "tmpname" or "")
