-- wrk 脚本：轮流请求一个文件中的地址（每行一个路径）。
-- Rotates over the request paths listed in the file named by LOAD_PATHS;
-- LOAD_TOKEN, when set, is sent as a bearer token.
local paths = {}
local n = 0

function init(args)
  local file = assert(io.open(os.getenv("LOAD_PATHS"), "r"))
  for line in file:lines() do
    if #line > 0 then table.insert(paths, line) end
  end
  file:close()
  -- Each thread starts at a different place in the list.
  n = math.random(#paths)
  local token = os.getenv("LOAD_TOKEN")
  if token and #token > 0 then
    wrk.headers["Authorization"] = "Bearer " .. token
  end
end

function request()
  n = n % #paths + 1
  return wrk.format("GET", paths[n])
end

function response(status, headers, body)
  if status >= 500 then
    io.stderr:write("server error " .. status .. "\n")
  end
end
