/**
 * Words and phrasings that signal what a request is about, in English and Chinese. Each cue
 * is one idea ("a verb that stops something", "a job"), not one tool: the intent classifier
 * weighs them together with character n-grams, so a cue that misfires costs little.
 * Matching runs on NFKC-normalised lower-case text.
 */
export const CUES = {
  stopVerb:
    /\b(cancel+(ed|ing)?|abort(ed|ing)?|kill(ed|ing)?|stop(ped|ping)?|terminate|halt|interrupt|scrap|call off|nuke|end it|pull the plug|pause|drop it|shut (it )?down)\b|取消|停止|终止|停掉|中止|杀掉|杀死|停下|结束掉|叫停|别跑了|不要跑了/,
  jobNoun: /\b(jobs?|runs?|sweeps?|trials?|experiments?|tasks?|pipelines?)\b|任务|作业|实验|试验/,
  optimisationNoun:
    /\b(tuning|quanti[sz]ation|distill?ation|optimi[sz]ation|calibration|compression)\b|\b(the|my|our|this|that)\s+([\w.-]+\s+)?(distill?|quant|tune|awq|gptq|int[48]|fp8)\b|调优|调参|量化|蒸馏|优化|压缩/,
  progress:
    /\bwhere are we\b|\bstill (cooking|going|running|working)\b|\bdone yet\b|\bstatus of (the|my|our)\b|\bprogress\b|\bhow('?s| is| are)\b.*\b(going|doing|coming along)\b|\b(done|finished|complete|completed)\b|\beta\b|\bhow (far|long)\b|\bstill running\b|\bany news\b|\bresults?\b|进度|进展|跑完|完成了|好了没|怎么样了|到哪|结果/,
  rollback:
    /\broll(ed|ing)?[\s-]?back\b|\broll\s+(it|that|this|them|[\w.-]+)\s+back\b|\brollback\b|\brevert(ed|ing)?\b|\bundo\b|\bgo back to\b|\bdowngrade\b|\brestore\b|\bprevious version\b|\blast good version\b|\bback out\b|\btake\b.*\bback to\b|\bback (to|on)\s+v\d|\bswitch\b.*\bback\b|切回|换回|降级|降回|回滚|回退|退回|还原|恢复到|退到|撤销|撤回/,
  deploy:
    /\b(re)?deploy(ing)?\b|\broll(ing)?[\s-]?out\b|\bship\b|\brelease\b|\bpromote\b|\bpush\b|\blaunch\b|\bspin up\b|\bbring up\b|\bstand up\b|\bput\b.*\b(on|in|into|to)\b|\b(upgrade|update|bump|move)\b.*\bto\s+v\d|(?<!所有|哪些|列出)部署(?!的|状态|情况|列表|了(什么|哪些))|发布|上线|推到|推上|升级到|更新到|换成\s*v\d/,
  scale:
    /\bscal(e|ed|ing)\b|\bresize\b|\badd capacity\b|\b(more|fewer|less) (replicas|instances|pods|copies|capacity)\b|\b(bump|increase|decrease|reduce|raise|lower|drop|cut|set)\b.*\b(replicas?|instances|pods|copies|capacity)\b|\b(replicas?|instances|pods)\b.*\bto\s+\d|扩容|缩容|扩到|缩到|扩成|缩成|加到|减到|降到|副本|实例数/,
  replicaNoun: /\b(replicas?|instances|pods|copies)\b|副本|实例/,
  future:
    /\bforecast|\bpredict|\bprojection|\bproject(ed)?\b|\bnext (week|month|\d+|few|couple|quarter|day|hour)|\bcoming (week|days|month)|\btomorrow\b|\bcapacity plan|\bwill (we|it|they|i)?\s*need\b|\bgoing to need\b|\bexpect(ed)?\b.*\b(load|traffic|demand)|\bahead\b|\bby (next|the end)|\bgrowth\b|\btrend\b|预测|下周|下个月|未来|明天|接下来|预计|预估|趋势/,
  forecastVerb: /\bforecast|\bpredict|\bprojection|\bcapacity plan|预测|预计|预估/,
  explain:
    /\blook into\b|\bfind out\b|\bcheck what'?s wrong\b|\bwhy\b|\bwhat'?s going on\b|\bgoing on\b|\bany idea\b|\broot[\s-]?cause|\brca\b|what happened|\bexplain\b|\bdiagnos|\binvestigat|\bwhat'?s wrong|\bwhat went wrong|\btroubleshoot|\bdebug\b|\bfigure out\b|\bpost[\s-]?mortem\b|\bcause\b|\bbroke(n)?\b|\bdegrad|为什么|原因|根因|怎么回事|排查|诊断|咋了|怎么了|出了什么问题|为啥/,
  symptom:
    /\bslow(ed|er|ly|ness|down)?\b|\blaggy\b|\bdegraded\b|\btiming out\b|\btimeouts?\b|\bfailing\b|\bthrowing\b|\bdoubled\b|\btripled\b|\bspiked\b|\bjumped\b|\bshot up\b|\bwent up\b|\bway up\b|\bdropped\b|\bcrash(ed|ing)?\b|\bdown\b|\boom\b|\boff\b|\bbroke(n)?\b|\bsluggish\b|\bcrawling\b|\bterrible\b|\bawful\b|变慢|很慢|很卡|飙升|暴涨|暴增|升高|下降|挂了|崩|超时|故障|告警/,
  anomaly:
    /anomal|\bunusual|\babnormal|\boutliers?\b|\bodd\b|\bweird\b|\bstrange\b|\bspikes?\b|\bspiky\b|\bdips?\b|\birregular|\bsuspicious\b|\bout of the ordinary\b|\bglitch|异常|不正常|突增|突降|毛刺|尖峰|离群/,
  probe:
    /\bprobe\b|\bbenchmark|\bload[\s-]?test|\bsmoke[\s-]?test|\bstress\b|\bping\b|\bhit\b|\bcall\b|\bcurl\b|\bfire\b|\bhammer\b|\bsend\b.*\b(requests?|prompts?|queries|traffic)\b|\btest (requests?|prompts?|queries)\b|\btest (the )?(endpoint|api|server)|\bhealth[\s-]?check\b|\brespond(s|ing)?\b|\banswer(s|ing)\b|\bknock\b|\btime it\b|\btry (it|a request|one)\b|\bresponsive\b|\breachable\b|\banswers?\b.*\?|\bagainst\b|通不通|能不能通|连通|正常响应|有没有响应|发个请求|请求试试|压测|探测|测速|拨测|调用|请求一下|测一下|测试一下|ping/,
  endpointNoun: /\bendpoints?\b|\bapi\b|\burl\b|\bserver\b|接口|端点|服务地址/,
  quantise:
    /\bquanti[sz]|\bint[48]\b|\b[48][\s-]?bits?\b|\bawq\b|\bgptq\b|\bfp8\b|\bnf4\b|\bw[48]a\d+\b|\bgguf\b|\bbitsandbytes\b|\blower precision\b|\bcompress\b|量化|比特|低精度/,
  tune: /\b(auto)?tun(e|ed|ing)\b|\boptimi[sz](e|ing)\b|\bsweep\b|\bhyper[\s-]?param|\bsearch\b.*\bconfig|\b(best|optimal|lowest|cheapest|fastest|ideal)\b.{0,25}\b(config|settings)|\bserving (config|settings|parameters)|\bmax[\s_-]?num[\s_-]?(seqs|batched)|\bbatch(ing)? (size|config)|\bmake\b.*\b(faster|cheaper)|调优|调参|优化|最优配置|参数搜索|调一下(?!.{0,12}(接口|endpoint|api))|服务参数|调整参数|配置搜索/,
  distil: /\bdistil|\bstudent\b|\bteacher\b|蒸馏|学生模型/,
  estimate:
    /\bhow much (gpu |gpu-)?(memory|vram|ram)|\bvram\b|\bgpu memory\b|\bmemory\b|\bhow many (gpus|cards|a100s|h100s|l4s)\b|\b(fit|fits)\b|\b(run|serve|host|load)\b.*\bon\b|\bsiz(e|ing)\b|\bestimate|\brequirements?\b|\bfootprint\b|\bneed\b.*\bgpus?\b|显存|内存|需要多少|几张卡|多少卡|多少张|能不能跑|跑得动|放得下|装得下|够不够|资源|估算|估计|评估/,
  logs: /\b(error|warn|warning|info|debug)[-\s]level\b|\blogs?\b|\blogging\b|\blog lines\b|\blogged\b|\bstack ?traces?\b|\btracebacks?\b|\bstderr\b|\bstdout\b|日志|报错信息|堆栈/,
  logAnalysis:
    /\b(common|top|frequent|most|patterns?|templates?|summar|analy[sz]|cluster|group|categori[sz]|distinct|kinds? of|types? of|new|spik|noisy|recurring)|分析|模式|模板|最多|常见|汇总|总结|归类|聚类|哪些类|暴增|激增|新出现|新增|类型|种类/,
  search:
    /\bsearch\b|\bgrep\b|\bfind\b|\blook (for|up)\b|\bcontaining\b|\bmatching\b|\bmentions?\b|\bwith the (text|word|string)\b|搜索|查找|搜一下|找一下|包含|含有|出现/,
  audit:
    /\baudit|\bwho (deployed|rolled|scaled|approved|rejected|changed|touched|did|ran|started|cancell?ed)\b|\bwhat changed\b|\bchanges?\b|\bchange ?log\b|\bhistory\b|\bapprov|\bactivity\b|\bactions?\b.*\b(taken|done|ran)|\brecent (deploys|deployments|rollbacks|actions)|审计|谁|操作记录|变更|记录|历史/,
  status:
    /\b(is|are)\s+[\w.-]+\s+(running\s+)?on\b|跑在|部署在|什么卡|在哪|跑着|正常吗|集群|所有服务|哪些服务|哪个端口|\bport\b|部署情况|部署状态|所有部署|哪些部署|部署列表|列出.{0,4}部署|\bendpoint url\b|\burl\b|\baddress\b|\bstatus\b|\bhealth(y)?\b|\bup\b|\bdown\b|\brunning\b|\bdeployed\b|\bserving\b|\bversions?\b|\blist\b|\bfleet\b|\bdeployments\b|\balive\b|\bonline\b|\boverview\b|\bstate\b|状态|健康|运行|版本|部署了|哪些模型|在跑|挂了|活着|列表/,
  metric:
    /\bmetrics?\b|\bchart\b|\bgraph\b|\bplot\b|\bdashboard\b|\bp\d{2}\b|\bpercentile\b|\bmedian\b|\baverage\b|\bmean\b|指标|图表|曲线|分位|平均/,
  help: /\bhelp\b|\bwhat can you do\b|\bcommands?\b|\bcapabilit|帮助|你能做什么|怎么用/,
  compare: /\bcompare\b|\bcomparison\b|\bvs\.?\b|\bversus\b|\bor\b|\bagainst\b|\bbetter\b|对比|比较|还是|哪个好/,
  greeting: /^\s*(hi|hello|hey|yo|thanks|thank you|thx|good (morning|evening))\b|你好|谢谢|早上好/,
} as const satisfies Record<string, RegExp>;

export type CueName = keyof typeof CUES;

/** Cues that say nothing about the serving domain by themselves. */
// Time words ("tomorrow"), symptoms ("down", "off") and "done" also occur in talk about anything else.
const GENERIC: readonly CueName[] = ['greeting', 'compare', 'help', 'future', 'symptom', 'progress'];

/** Whether the request shows any sign of the serving domain at all ("tell me a joke" shows none). */
export function hasDomainCue(text: string): boolean {
  return (Object.keys(CUES) as CueName[]).some((name) => !GENERIC.includes(name) && CUES[name].test(text));
}

/** The cues a request shows, in a fixed order. */
export function cuesOf(text: string): CueName[] {
  return (Object.keys(CUES) as CueName[]).filter((name) => CUES[name].test(text));
}
