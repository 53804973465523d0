"""Demo complaint texts for `manage.py seed_demo`: what customers complain about (one topic per
category), what agents reply, note and resolve, and the placeholders those texts share.

Pure data and generators, no ORM, no I/O: everything random comes from a `random.Random` the
caller seeds, so one seed always gives the same data set.
"""

import random
from dataclasses import dataclass

from complaints.lifecycle import Action

# --- complaint texts ------------------------------------------------------------------------

# Placeholder values; each takes (rng, values so far) so one can depend on another.
_VALUES = {
    "days": lambda r, v: str(r.randint(2, 20)),
    "times": lambda r, v: str(r.randint(3, 8)),
    "months": lambda r, v: str(r.randint(2, 11)),
    "month": lambda r, v: str(r.randint(1, 12)),
    "hours": lambda r, v: str(r.randint(1, 3)),
    "minutes": lambda r, v: str(r.randint(15, 50)),
    "years": lambda r, v: str(r.randint(5, 20)),
    "speed": lambda r, v: str(r.choice([0.8, 1.5, 2, 3, 5, 8, 12, 20])),
    "gb": lambda r, v: str(r.randint(1, 15)),
    "bandwidth": lambda r, v: r.choice(["100M", "200M", "300M", "500M", "1000M"]),
    "plan": lambda r, v: r.choice(["5G畅享套餐", "5G全家享套餐", "4G畅玩套餐", "智慧家庭融合套餐",
                                   "冰激凌套餐", "大流量卡套餐"]),
    "amount": lambda r, v: r.choice(["5", "10", "15", "19.9", "20", "30", "38", "50", "68",
                                     "100", "128", "200"]),
    "amount2": lambda r, v: r.choice(["500", "1200", "3000", "8000", "20000"]),
    "price": lambda r, v: r.choice(["59", "79", "99", "129", "169"]),
    "price2": lambda r, v: str(int(v["price"]) + r.choice([20, 30, 40, 50])),
    "unit": lambda r, v: r.choice(["3元/GB", "5元/GB", "0.29元/MB"]),
    "service": lambda r, v: r.choice(["彩铃包月", "视频会员包", "游戏特权包", "手机报", "云盘扩容包",
                                      "音乐包", "来电提醒", "流量加油包", "阅读会员"]),
    "country": lambda r, v: r.choice(["泰国", "日本", "新加坡", "马来西亚", "韩国", "美国"]),
    "points": lambda r, v: r.choice(["1200", "3500", "8000", "15000"]),
    "issue": lambda r, v: r.choice(["宽带断网问题", "扣费问题", "信号问题"]),
    "gift": lambda r, v: r.choice(["路由器", "100元话费", "一年视频会员", "智能音箱"]),
    "org": lambda r, v: r.choice(["公安局", "银行客服", "快递理赔专员", "医保中心"]),
    "code": lambda r, v: r.choice(["1302", "1305", "0010", "10071"]),
    "date": lambda r, v: r.choice(["昨天", "前天", "上周三", "上周五", "本周一"]),
}


@dataclass(frozen=True)
class Topic:
    weight: float
    product_lines: tuple[tuple[str, float], ...]
    texts: tuple[tuple[str, str], ...]  # (subject, description)


MOBILE = (("mobile", 1),)
HOME = (("broadband", 70), ("converged", 25), ("enterprise", 5))
ANY = (("mobile", 60), ("broadband", 15), ("converged", 20), ("fixed", 3), ("iptv", 2))

# One entry per category code of migration 0002; weights are how often each comes in.
TOPICS = {
    "network-coverage": Topic(6, MOBILE, (
        ("家里手机信号很差，打电话经常断线",
         "家里手机信号一直很差，打电话经常断线，在{compound}室内只有一格信号，已经持续{days}天了。"
         "之前打过客服电话说会处理，到现在也没有改善，希望尽快派人来看看。"),
        ("小区地下车库和电梯没有信号",
         "{compound}地下车库和电梯里完全没有信号，出了事都打不了电话。业主群里很多人都反映过，"
         "请尽快安排测试并加装室内覆盖设备。"),
        ("显示5G但经常跳回4G甚至无服务",
         "上个月刚搬到{compound}，手机显示5G但经常跳回4G甚至无服务，微信语音都听不清。"
         "我办的是{plan}，交着5G的钱却用不上5G。"),
    )),
    "network-call-drop": Topic(4, MOBILE, (
        ("通话经常掉线",
         "最近{days}天打电话经常说着说着就断了，一天要掉线{times}次，对方也说听不清我的声音。"
         "手机已经换过卡槽测试，还是一样，怀疑是附近基站的问题。"),
        ("通话有杂音和回声",
         "打电话时有很大的杂音和回声，对方声音断断续续，工作电话都没法正常接。"
         "在{compound}和公司都是这样，请查一下是不是网络问题。"),
    )),
    "network-mobile-data": Topic(4, MOBILE, (
        ("晚上手机上网速度太慢",
         "晚上七点到十一点手机上网特别慢，测速只有{speed}Mbps，刷视频一直转圈。"
         "套餐是{plan}，流量还剩很多，是不是被限速了？"),
        ("手机数据网络经常自动断开",
         "手机数据网络经常自动断开，要开关飞行模式才能恢复，一天好几次。"
         "需要用手机接收验证码和处理工作，已经严重影响使用，请尽快处理。"),
    )),
    "network-broadband": Topic(6, HOME, (
        ("宽带每天晚上断网",
         "家里的{bandwidth}宽带最近一周每天晚上都会断网，光猫的LOS灯闪红灯，重启也没用。"
         "孩子要上网课，非常着急，请尽快派人上门检修。"),
        ("宽带网速远低于签约速率",
         "办的是{bandwidth}宽带，用网线直连电脑测速只有{speed}Mbps，连签约速率的一成都不到。"
         "每个月按时交费，网速却达不到，要求给个说法。"),
        ("宽带晚高峰基本无法使用",
         "每天晚上八点以后宽带基本用不了，打游戏延迟几百毫秒，看电视也卡顿。"
         "已经报修过{times}次，师傅来看了说是线路问题，但一直没解决。"),
    )),
    "network-repair-overdue": Topic(2, HOME, (
        ("宽带报修后迟迟没人上门",
         "{days}天前报修宽带故障，客服说24小时内安排师傅上门，到现在都没人联系我。"
         "打了好几次电话都说在催，家里一直没网，严重影响生活。"),
        ("装维人员预约后多次爽约",
         "预约了{date}上午上门维修，我请假在家等了一上午，师傅没来也没打电话。"
         "这已经是第二次爽约了，要求尽快修好并给予补偿。"),
    )),
    "network-fixed-line": Topic(1, (("fixed", 1),), (
        ("家里座机打不出去也打不进来",
         "家里的座机这几天拿起话筒没有拨号音，打不出去也打不进来。"
         "家里老人只会用座机，请尽快安排维修。"),
        ("固话通话杂音很大",
         "固定电话通话时杂音很大，下雨天更严重，对方几乎听不清。怀疑是楼道里的线路老化了。"),
    )),
    "network-iptv": Topic(1.5, (("iptv", 60), ("converged", 40)), (
        ("IPTV经常卡顿花屏",
         "家里的IPTV看直播经常卡顿、花屏，点播也要缓冲很久。"
         "机顶盒已经重启过很多次，宽带测速正常，请帮忙检查。"),
        ("机顶盒报错无法观看",
         "电视开机后机顶盒提示“错误代码{code}”，所有频道都看不了，已经{days}天了。"
         "老人每天就靠看电视，请尽快处理。"),
    )),
    "network-base-station": Topic(0.7, MOBILE, (
        ("楼顶新装基站担心辐射",
         "{compound}楼顶最近装了基站，居民都很担心辐射问题，希望公司出示环评检测报告，"
         "并说明安装是否经过业主同意。"),
        ("基站拆除后小区没有信号",
         "听说附近的基站因为业主反对被拆了，现在整个{compound}都没信号，请尽快协调重新选址建设。"),
    )),
    "billing-unknown-charge": Topic(6, ANY, (
        ("本月话费莫名多扣增值业务费",
         "本月话费莫名多扣了{amount}元增值业务费，我从来没有订购过什么“{service}”。"
         "查了详单才发现已经扣了{months}个月，要求全额退还并取消这个业务。"),
        ("账单里有不知情的收费项目",
         "这个月账单比平时多了{amount}元，明细里有一项“{service}”我完全不知情。"
         "请查清楚是谁给我开通的，为什么没有短信提醒。"),
    )),
    "billing-usage": Topic(3, MOBILE, (
        ("套餐外流量费用异常",
         "手机一直连着WiFi，这个月却提示套餐外流量{gb}GB，扣了{amount}元。"
         "晚上睡觉时手机都没用，怀疑计费有误，请核查上网详单。"),
        ("详单里有不认识的长途通话",
         "详单显示我有好几通长途电话，但这些号码我根本不认识，也没有打过。"
         "请核实是否计费错误，并退还多收的{amount}元。"),
    )),
    "billing-tariff-mismatch": Topic(2, ANY, (
        ("实际资费与营业员承诺不符",
         "在营业厅办理{plan}时营业员说每月只要{price}元，实际每个月扣{price2}元。"
         "当初宣传的和实际收费完全不一样，属于虚假宣传。"),
        ("充值赠费活动没有兑现",
         "参加了“充{amount2}送{amount}”的活动，赠送的话费一直没有到账，客服说活动已经结束了。"
         "我是在活动期间办理的，要求兑现承诺。"),
    )),
    "billing-extra": Topic(2, MOBILE, (
        ("套餐外费用没有任何提醒",
         "本月产生套餐外通话费{amount}元，之前没有收到任何余量提醒短信。"
         "按规定应该在用完前提醒，请说明为什么没有提醒。"),
        ("超出流量后被高额收费",
         "流量超出后没有任何提醒，直接按{unit}计费，一个月多扣了{amount}元，感觉被坑了。"),
    )),
    "billing-refund": Topic(2, ANY, (
        ("销户后余额迟迟未退",
         "我的副卡已经在{month}月销户，当时说余额{amount}元会在一个月内退回，到现在还没到账。"),
        ("重复缴费申请退款没人处理",
         "在手机营业厅交话费时扣款两次，多交了{amount}元，申请退款一周了一直没处理。"),
    )),
    "billing-suspension": Topic(1.5, ANY, (
        ("刚交完费仍被停机",
         "昨天已经交了{amount}元话费，今天手机还是被停机了，耽误了重要的工作电话。"),
        ("宽带欠费违约金不合理",
         "宽带欠费几天就被收了违约金{amount}元，之前没有任何催缴通知，违约金的收取依据是什么？"),
    )),
    "billing-roaming": Topic(0.8, MOBILE, (
        ("出国漫游费用过高",
         "去{country}出差一周，回来发现漫游费{amount}元。出发前已经办理了漫游包，"
         "为什么还产生这么多费用？"),
        ("没有出境却产生国际漫游费",
         "我这个月一直在广东，从来没有出境，账单里却有国际漫游费{amount}元，请核实。"),
    )),
    "billing-invoice": Topic(0.8, ANY, (
        ("电子发票无法开具",
         "在手机营业厅申请开具{month}月的电子发票一直提示失败，公司报销急需，请尽快处理。"),
        ("账单收费项目看不懂",
         "每月账单上的费用项目太多太乱，各种“功能费”“包月费”看不明白，希望能提供清楚的收费说明。"),
    )),
    "billing-dispute": Topic(1.5, ANY, (
        ("对本月扣费金额有异议",
         "对{month}月扣费{amount}元有异议，多次打客服电话，每次解释都不一样，要求给出书面的计费依据。"),
        ("合约期内被多收月费",
         "合约期内每月应该是{price}元，但最近三个月每月都收了{price2}元，要求退还差额。"),
    )),
    "business-plan-change": Topic(3, MOBILE, (
        ("要求降低套餐被推诿",
         "我想把{plan}改成低一档的套餐，客服说必须到营业厅办理，营业厅又说要线上办理，来回推诿。"
         "按规定不能限制用户变更套餐。"),
        ("改套餐被要求先交违约金",
         "想取消{plan}换成普通套餐，营业员说要交{amount}元违约金，但当初办理时根本没说有合约期。"),
    )),
    "business-unsubscribe": Topic(3, MOBILE, (
        ("增值业务无法退订",
         "发短信退订“{service}”一直提示失败，打客服说要本人去营业厅办，太麻烦了。"
         "订的时候一条短信就开通，退的时候这么难。"),
        ("退订后仍在扣费",
         "上个月已经退订了“{service}”，有退订成功的短信，这个月还是扣了{amount}元。"),
    )),
    "business-close-account": Topic(1.5, ANY, (
        ("销户被要求回开户地办理",
         "我已经不在广州工作了，想注销这个号码，客服说必须回开户地营业厅办理，要求提供异地销户。"),
        ("宽带退网一再拖延",
         "{month}月就申请宽带退网了，光猫也还了，到现在还在扣月租，每次都说在处理。"),
    )),
    "business-portability": Topic(1.5, MOBILE, (
        ("携号转网被拒",
         "申请携号转网，查询结果一直显示“存在未到期合约”，但我的合约早就到期了。"
         "请尽快解除限制，不要设置障碍。"),
        ("申请携号转网后被挽留电话骚扰",
         "提出携号转网后，一天接到{times}个挽留电话，我已经明确拒绝了，还一直打。"),
    )),
    "business-premium-number": Topic(0.5, MOBILE, (
        ("靓号最低消费过高",
         "当初办这个号码时没说有每月{price}元的最低消费，现在想降套餐才知道有靓号协议，要求取消低消。"),
    )),
    "business-unauthorised": Topic(2, ANY, (
        ("未经同意开通收费业务",
         "我从来没有申请过“{service}”，却收到开通成功的短信，并且已经扣费{amount}元。"
         "未经本人同意就开通业务，要求退费并说明情况。"),
        ("营业员私自更改套餐",
         "上次去营业厅只是办理补卡，回来发现套餐被改成了{plan}，每月多出{amount}元，"
         "营业员没有告知也没让我签字确认。"),
    )),
    "business-marketing": Topic(1.5, MOBILE, (
        ("营销电话过于频繁",
         "最近每天都接到贵公司的营销电话推荐升级套餐，已经明确说过不需要，还是天天打，严重影响工作。"),
        ("营销短信退订后仍在发送",
         "每天收到好几条推广短信，回复TD退订后依然在发。"),
    )),
    "business-contract": Topic(1.5, ANY, (
        ("合约机话费返还未到账",
         "办理购机合约时承诺每月返还{amount}元话费，已经{months}个月没有返还了。"),
        ("宽带合约到期被自动续约",
         "宽带合约到期后被自动续约了两年，没有征求我的意见，现在想取消却被要求交违约金。"),
    )),
    "business-points": Topic(0.7, MOBILE, (
        ("积分被无故清零",
         "账户里的{points}积分突然被清零，没有收到任何提醒，积分兑换规则也没说有有效期。"),
        ("套餐内会员权益无法领取",
         "套餐包含的视频会员权益每个月都领不了，APP提示“领取失败”，已经{months}个月了。"),
    )),
    "business-real-name": Topic(0.7, MOBILE, (
        ("身份证名下多出不明号码",
         "查询发现我身份证名下有一个不是我办理的号码，担心被人冒用，要求立即注销并调查是谁办理的。"),
        ("过户手续过于繁琐",
         "家里老人的号码想过户给我，营业厅要求老人本人到场，老人行动不便，希望能提供上门办理。"),
    )),
    "service-attitude": Topic(2, ANY, (
        ("客服人员态度恶劣",
         "{date}打客服热线咨询扣费问题，客服人员很不耐烦，说“公司就这么规定的”，"
         "还直接挂了我的电话，要求道歉。"),
        ("营业员服务态度差",
         "在营业厅办理业务时，营业员一直玩手机，问问题也爱答不理，还说“宣传单上都有说明”。"),
    )),
    "service-store": Topic(1.5, ANY, (
        ("营业厅排队时间太长",
         "营业厅只开了一个窗口，排队等了{hours}个多小时才办上业务，很多老年人站着等，希望增加窗口。"),
        ("营业厅办理业务出错",
         "在营业厅办理副卡，营业员把号码办错了，来回跑了三次才改好。"),
    )),
    "service-hotline": Topic(1.5, ANY, (
        ("客服热线难以接通人工",
         "打客服热线转人工等了{minutes}分钟都没人接，语音菜单绕来绕去就是转不到人工。"),
        ("热线多次转接无人负责",
         "打热线咨询宽带故障，被转了{times}次，每个人都说“我这里不负责这个业务”。"),
    )),
    "service-installer": Topic(1.2, HOME, (
        ("装维师傅乱收费",
         "宽带师傅上门维修后要求另外付{amount}元材料费，说是换了水晶头和网线，但没有给收据。"),
        ("装维师傅迟到且态度差",
         "预约的装机师傅迟到了两个小时，来了以后一直抱怨路远，装完也没有清理现场。"),
    )),
    "service-promise": Topic(1.2, ANY, (
        ("办理时承诺的赠品未兑现",
         "办理时营业员承诺送{gift}，到现在也没有兑现，打电话问了几次都说会核实。"),
        ("承诺回电一直没有回复",
         "上周投诉扣费问题，客服承诺48小时内回电，到现在也没有人联系我。"),
    )),
    "service-overdue": Topic(1, ANY, (
        ("反映的问题迟迟没有结果",
         "{days}天前反映的问题到现在还没有结果，每次打电话都说在处理中，要求给个明确的解决时间。"),
        ("部门之间相互推诿",
         "网络问题找客服，客服让找营业厅，营业厅又说是网络部门的事，互相推诿，没人管。"),
    )),
    "service-complaint-handling": Topic(1, ANY, (
        ("对投诉处理结果不满意",
         "上次投诉的{issue}，处理结果只是给了{amount}元话费补偿，问题本身根本没解决，我不接受。"),
        ("投诉后被反复要求撤诉",
         "投诉之后接到好几个电话让我撤销投诉，问题没解决却一直要我撤诉。"),
    )),
    "product-device": Topic(1.2, ANY, (
        ("光猫频繁死机",
         "公司提供的光猫每天都要死机好几次，必须断电重启才能上网，要求免费更换。"),
        ("合约手机质量问题不给保修",
         "合约购买的手机用了{months}个月就经常自动关机，售后说是人为损坏不给保修，我不认可。"),
        ("机顶盒遥控器失灵",
         "IPTV机顶盒遥控器按键失灵，换了电池也不行，营业厅说要自费购买。"),
    )),
    "product-app": Topic(1.5, ANY, (
        ("手机营业厅APP无法登录",
         "手机营业厅APP一直提示“系统繁忙”，登录不上，交费、查账单都不行，已经{days}天了。"),
        ("网上交费失败但银行已扣款",
         "在网上营业厅交话费{amount}元，银行卡已经扣款，但话费没有到账，订单显示失败。"),
    )),
    "product-cloud": Topic(0.5, MOBILE, (
        ("云盘照片丢失",
         "用了两年的云盘突然有一部分照片打不开，客服说没有备份，这些都是孩子的照片，希望能恢复。"),
        ("开通5G消息后收不到验证码",
         "开通了5G消息之后经常收不到银行验证码短信，关掉后才恢复正常。"),
    )),
    "security-data-leak": Topic(1, ANY, (
        ("个人信息疑似泄露",
         "刚在营业厅办完宽带，第二天就接到好多装修和贷款推销电话，对方能准确说出我的姓名和住址，"
         "怀疑信息被泄露。"),
        ("通话记录被他人获取",
         "有人拿着我的通话记录来找我，说是从营业厅查的，我要求调查是谁泄露了我的个人信息。"),
    )),
    "security-harassment": Topic(1.5, MOBILE, (
        ("骚扰电话太多",
         "每天接到十几个骚扰电话，都是推销贷款、保险的，已经标记拦截了还是不断换号打来，"
         "希望运营商采取措施。"),
        ("垃圾短信不断",
         "每天收到大量赌博、贷款类垃圾短信，请核查发送号码并关停。"),
    )),
    "security-fraud": Topic(1, MOBILE, (
        ("接到诈骗电话被骗",
         "接到自称“{org}”的电话，说我的账户涉嫌违规，被骗转账{amount2}元。"
         "对方号码是贵公司的号段，要求协助追查并关停该号码。"),
        ("号码被误判为涉诈号码停机",
         "我的号码被认定为涉诈号码停机了，我从来没有做过任何违法的事情，要求尽快复机。"),
    )),
    "other-suggestion": Topic(0.5, ANY, (
        ("建议增加老年人服务",
         "建议营业厅为老年人开设专门窗口，热线增加一键转人工。"),
        ("建议简化手机营业厅APP",
         "APP功能太多太乱，找个账单要点好几层，建议简化界面。"),
    )),
    "other-enquiry": Topic(0.8, ANY, (
        ("多次咨询无果转投诉",
         "咨询了{times}次宽带移机的办理流程，每次得到的答复都不一样，只能投诉。"),
    )),
    "other-misc": Topic(0.5, ANY, (
        ("施工损坏小区绿化",
         "贵公司施工人员在{compound}铺设光缆，把绿化带挖坏了一直没有恢复。"),
        ("通信电杆倾斜存在安全隐患",
         "{compound}门口的通信电杆倾斜严重，台风天很危险，请尽快处理。"),
    )),
}
TOPIC_CODES = tuple(TOPICS)

SUFFIXES = ("请尽快处理。", "希望尽快给我一个答复。", "要求给予合理补偿。",
            "这已经是第{times}次反映了。", "我是你们{years}年的老用户了，非常失望。")
# Phrases that signal the customer may escalate (工信部 / 12300 / media).
ESCALATION_PHRASES = ("如果三天内还不解决，我就向工信部投诉。", "再不处理我就打12300投诉。",
                      "这件事我一定会投诉到底。", "我已经准备向媒体反映了。",
                      "不解决的话我就去消费者协会和工信部投诉。")
ESCALATION_SHARE = 0.06
REGULATOR_PREFIX = "【工信部申诉转办】用户反映："

RESOLUTIONS = {
    "network": ("经网络优化组现场测试，已调整附近基站天线方向角，回访客户确认信号明显改善。",
                "已派装维人员上门更换入户光纤及光猫，测速恢复到签约速率，客户认可。",
                "核实为小区弱覆盖，已纳入室内覆盖建设计划；临时为客户开通WiFi通话，"
                "并赠送{gb}GB流量作为补偿，客户表示理解。"),
    "billing": ("核查详单确认为误订购增值业务，已退订并退还{amount}元，客户满意。",
                "经核实计费正确，已向客户逐项解释账单构成，客户表示理解。",
                "确认活动赠费未到账，已补发，并赠送{amount}元话费作为补偿。"),
    "business": ("已为客户办理套餐变更，次月生效，并告知资费明细。",
                 "已为客户退订相关业务，退还近{months}个月费用，并对违规办理的营业员进行考核。",
                 "已解除携号转网限制，客户可正常办理。"),
    "service": ("已向客户致歉，对相关人员进行批评教育和服务规范培训，客户接受。",
                "已协调营业厅在高峰时段增开窗口，并向客户致歉。"),
    "product": ("已为客户免费更换光猫，测试正常。", "系统故障已修复，已补充到账话费{amount}元。"),
    "security": ("已核查涉事号码并关停，提醒客户开启骚扰拦截功能。",
                 "已启动内部调查，向客户说明处理进展，并协助客户向公安机关报案。"),
    "other": ("已记录客户建议并转相关部门研究，向客户致谢。", "已安排施工队恢复现场，客户确认。"),
}
INTERNAL_NOTES = {
    "network": ("已联系网优组核查，{compound}附近基站有故障告警，预计两天内修复。",
                "已派单给装维班组，约定上门时间。"),
    "billing": ("已调取近{months}个月详单，扣费来源为合作方代收费，正在核实订购记录。",
                "已提交计费核查工单，等待计费结算中心反馈。"),
}
GENERIC_NOTES = ("已电话联系客户，客户情绪较激动，已安抚。", "客户为{years}年老用户，建议优先处理。",
                 "客户要求处理结果以短信告知。")
# Empathy phrases from the agents' training (服务用语), used as public replies.
PUBLIC_REPLIES = ("您好，我理解您现在的不便，我们会尽快为您处理。",
                  "给您造成的不便非常抱歉，工作人员将在24小时内与您联系。",
                  "您反映的问题已转交专业部门核查，处理结果会第一时间告知您。")
REASONS = {
    Action.REQUEST_INFO: ("请客户提供扣费短信截图和近期账单。", "需要客户提供故障时段和具体位置，以便网络测试。",
                          "请客户提供机主身份证明以核实身份。"),
    Action.REOPEN: ("回访时客户表示问题依旧，要求重新处理。", "客户不认可处理结果，再次来电。"),
    Action.CANCEL: ("客户来电表示问题已自行解决，要求撤销投诉。", "经核实为重复登记，撤销。",
                    "客户表示不再追究。"),
    # {reference} is the complaint this one duplicates; known only once it exists.
    Action.MERGE: ("与{reference}为同一客户同一问题的重复投诉，合并处理。",),
}


def fill(template: str, rng: random.Random, values: dict[str, str]) -> str:
    """The template with its {placeholders} filled; values already chosen are kept."""
    return template.format_map(_Values(rng, values))


class _Values(dict):
    def __init__(self, rng: random.Random, values: dict[str, str]):
        super().__init__(values)
        self.rng, self.shared = rng, values

    def __missing__(self, key: str) -> str:
        # Chosen once per complaint, so the description and resolution quote the same amount.
        value = self.shared[key] = self[key] = _VALUES[key](self.rng, self)
        return value
