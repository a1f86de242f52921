-- wrk 脚本：以企业用户身份发布技术需求（每个请求一条新需求）。
-- Posts a new need per request, as the enterprise member whose token is in
-- LOAD_TOKEN. Titles vary so that every request writes a different record.
local counter = 0
local thread_id = 0
local threads = {}

function setup(thread)
  thread:set("thread_id", #threads + 1)
  table.insert(threads, thread)
end

local subjects = {
  "焦炉煤气精脱硫剂寿命短，需要更换频繁",
  "碳化硅衬底切割损耗大，良率偏低",
  "高炉煤气余热回收效率低，蒸汽品质不稳",
  "数控机床主轴温升导致加工精度漂移",
  "氢燃料电池电堆低温启动时间过长",
}

function init(args)
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
  wrk.headers["Authorization"] = "Bearer " .. os.getenv("LOAD_TOKEN")
end

function request()
  counter = counter + 1
  local s = subjects[counter % #subjects + 1]
  local body = string.format(
    '{"title":"%s（压测 %d-%d）","description":"%s。现有工艺在连续生产中问题反复出现，影响产量和质量，希望与高校或科研院所合作，给出可落地的改进方案并在生产线上验证，预算约100万元，周期一年。","field":"materials","keywords":["工艺改进","质量提升"],"cooperation":["tech_development"]}',
    s, thread_id, counter, s)
  return wrk.format(nil, "/api/v1/needs", nil, body)
end

function response(status, headers, body)
  if status ~= 201 then
    io.stderr:write("write failed " .. status .. " " .. body:sub(1, 200) .. "\n")
  end
end
