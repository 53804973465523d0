# ruff: noqa: E501  (a word list: one category a line)
"""A telecom synonym lexicon per second-level category: the "broader keyword rules" candidate
of bench/classification.py. Each word found in a text scores one point for its category; the
category with most points wins, none found means no category. Bench only."""

LEXICON = {
    "network-coverage": "信号差,没信号,无信号,信号不好,一格信号,无服务,信号弱,收不到信号,没有信号,信号时有时无,信号格",
    "network-call-drop": "掉话,掉线,通话中断,打着打着断,电话断,自动挂断,通话质量,听不清,杂音,回声,断断续续",
    "network-mobile-data": "网速慢,上网慢,4g慢,5g慢,流量网速,网速,网页打不开,刷不出来,卡顿,加载慢,手机上网",
    "network-broadband": "宽带断网,断网,宽带网速,宽带掉线,光猫,wifi,路由器,宽带慢,宽带上不了网,宽带连不上,光纤",
    "network-fixed-line": "固话,座机,固定电话,家里电话,座机打不出,座机没声音,电话线",
    "network-iptv": "iptv,机顶盒,电视,看不了电视,节目,点播,itv,遥控器",
    "network-base-station": "基站,辐射,铁塔,天线,楼顶,发射塔",
    "network-repair-overdue": "报修,修了,没人来修,维修,迟迟不修,还没修好,报障,故障单",
    "billing-dispute": "扣费,乱收费,多扣,乱扣,账单,话费不对,扣钱,费用有误,多收",
    "billing-unknown-charge": "不明扣费,莫名扣费,不知道什么费,无故扣,不明费用,莫名其妙扣,没用过却扣",
    "billing-usage": "流量超,流量费,通话费,用了多少,使用量,流量用完,超出套餐,详单",
    "billing-roaming": "漫游,国际漫游,出国,境外,港澳,日本,国外",
    "billing-refund": "退款,退费,退钱,返还,退回,还没退,退还",
    "billing-invoice": "发票,电子发票,开票,报销,收据,票据",
    "billing-suspension": "停机,欠费停机,欠费,余额不足,被停,停了机,催缴",
    "billing-tariff-mismatch": "资费不符,套餐费用,宣传的价格,说好的价格,月租,实际收费,价格不一样,优惠没兑现",
    "billing-extra": "附加费,额外收费,增值费,服务费,手续费,功能费",
    "business-portability": "携号转网,携转,转网,转出,转到移动,转到联通,转到电信",
    "business-marketing": "推销,骚扰电话,垃圾短信,营销电话,营销短信,外呼,天天打电话推,广告短信",
    "business-unauthorised": "未经同意,没经过同意,私自开通,擅自,偷偷开,没有办过,不知情,被开通",
    "business-unsubscribe": "退订,取消业务,关掉,取消不了,退不掉,td,取消套餐,关闭业务",
    "business-close-account": "销户,注销,拆机,不用了,停用号码,注销号码,注销副卡",
    "business-plan-change": "改套餐,变更套餐,换套餐,套餐变更,降套餐,升级套餐,改低",
    "business-contract": "合约,违约金,合约期,协议,合约机,保底,捆绑",
    "business-points": "积分,兑换,积分清零,积分兑换,积分到账",
    "business-premium-number": "靓号,吉祥号,号码保底,最低消费,低消",
    "business-real-name": "实名,身份证,实名认证,补卡,过户,证件",
    "service-attitude": "态度,不耐烦,骂,凶,脸色,态度差,爱理不理,推诿,敷衍",
    "service-hotline": "10000,10086,10010,客服热线,人工客服,打不通,等了,排队,没人接,转人工",
    "service-store": "营业厅,门店,柜台,店员,营业员,排队",
    "service-installer": "装机,上门,装维,师傅,安装,预约,没来",
    "service-promise": "承诺,答应,说好,保证,没兑现,承诺的",
    "service-overdue": "超时,拖延,迟迟,一直没处理,没有回复,超过时限,没人联系",
    "service-complaint-handling": "投诉处理,处理结果,不满意处理,投诉了,回访,工单,处理方式",
    "product-app": "app,客户端,营业厅app,闪退,登录不了,小程序,网上营业厅",
    "product-cloud": "云盘,云存储,天翼云,和彩云,沃云,云空间",
    "product-device": "手机质量,合约手机,终端,手机坏,屏幕,电池,换机,售后",
    "security-fraud": "诈骗,冒充,骗,转账,涉诈,被骗,假客服",
    "security-data-leak": "泄露,个人信息,信息泄漏,隐私,通话记录被查,详单被查",
    "security-harassment": "骚扰,恐吓,威胁,辱骂短信,被骚扰,陌生人",
    "other-enquiry": "咨询,请问,想了解,怎么办理,如何,问一下",
    "other-suggestion": "建议,希望,能不能增加,提议,改进",
    "other-misc": "其他",
}


# The default keyword rules of intake migration 0002 narrowed to phrases that name one
# category unambiguously (None: rule off). Measured in bench/classification.py's end-to-end
# table as a possible data migration; not applied.
NARROWED = [
    ("携号转网", "携号转网,携转,转网", "business-portability"),
    ("营销骚扰", "推销电话,营销电话,营销短信,推销短信,广告短信,垃圾短信", "business-marketing"),
    ("宽带故障", "光猫+红灯,光猫+los", "network-broadband"),
    ("信号覆盖", "没信号,无信号,信号差,信号很差,信号不好,无服务", "network-coverage"),
    ("掉线/掉话", "掉话", "network-call-drop"),
    ("网速慢", None, "network-mobile-data"),
    ("账务争议", None, "billing-dispute"),
    ("服务态度", "态度恶劣,态度很差,态度差,态度极差,态度蛮横", "service-attitude"),
    ("宽带装机/上门", None, "service-installer"),
]
