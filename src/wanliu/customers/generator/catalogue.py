"""Reference data of the generated operator: a provincial operator in Zhejiang.

Everything here is plain data (names, tariffs, competitor offers, note texts); the
simulation draws from it. Shares and weights are rough public figures, good enough to
make the generated operator look and behave like a real one.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class RegionSpec:
    code: str  # long-distance area code, the usual short name of a home region
    name: str
    name_en: str
    id_prefix: str  # first four digits of national IDs issued there
    population_m: float  # resident population, millions (sets the share of customers)
    districts: tuple[str, ...]  # districts and counties: one branch (分局) each


REGIONS: tuple[RegionSpec, ...] = (
    RegionSpec(
        "0571",
        "杭州",
        "Hangzhou",
        "3301",
        12.4,
        (
            "上城区",
            "拱墅区",
            "西湖区",
            "滨江区",
            "萧山区",
            "余杭区",
            "临平区",
            "钱塘区",
            "富阳区",
            "临安区",
            "桐庐县",
            "淳安县",
            "建德市",
        ),
    ),
    RegionSpec(
        "0574",
        "宁波",
        "Ningbo",
        "3302",
        9.6,
        (
            "海曙区",
            "江北区",
            "北仑区",
            "镇海区",
            "鄞州区",
            "奉化区",
            "余姚市",
            "慈溪市",
            "宁海县",
            "象山县",
        ),
    ),
    RegionSpec(
        "0577",
        "温州",
        "Wenzhou",
        "3303",
        9.7,
        (
            "鹿城区",
            "龙湾区",
            "瓯海区",
            "洞头区",
            "瑞安市",
            "乐清市",
            "龙港市",
            "永嘉县",
            "平阳县",
            "苍南县",
            "文成县",
            "泰顺县",
        ),
    ),
    RegionSpec(
        "0573",
        "嘉兴",
        "Jiaxing",
        "3304",
        5.6,
        ("南湖区", "秀洲区", "嘉善县", "海盐县", "海宁市", "平湖市", "桐乡市"),
    ),
    RegionSpec(
        "0572",
        "湖州",
        "Huzhou",
        "3305",
        3.4,
        ("吴兴区", "南浔区", "德清县", "长兴县", "安吉县"),
    ),
    RegionSpec(
        "0575",
        "绍兴",
        "Shaoxing",
        "3306",
        5.3,
        ("越城区", "柯桥区", "上虞区", "新昌县", "诸暨市", "嵊州市"),
    ),
    RegionSpec(
        "0579",
        "金华",
        "Jinhua",
        "3307",
        7.1,
        ("婺城区", "金东区", "武义县", "浦江县", "磐安县", "兰溪市", "义乌市", "东阳市", "永康市"),
    ),
    RegionSpec(
        "0570",
        "衢州",
        "Quzhou",
        "3308",
        2.3,
        ("柯城区", "衢江区", "常山县", "开化县", "龙游县", "江山市"),
    ),
    RegionSpec(
        "0580",
        "舟山",
        "Zhoushan",
        "3309",
        1.2,
        ("定海区", "普陀区", "岱山县", "嵊泗县"),
    ),
    RegionSpec(
        "0576",
        "台州",
        "Taizhou",
        "3310",
        6.6,
        ("椒江区", "黄岩区", "路桥区", "三门县", "天台县", "仙居县", "温岭市", "临海市", "玉环市"),
    ),
    RegionSpec(
        "0578",
        "丽水",
        "Lishui",
        "3311",
        2.5,
        ("莲都区", "青田县", "缙云县", "遂昌县", "松阳县", "云和县", "庆元县", "景宁县", "龙泉市"),
    ),
)

# National-ID area prefixes of people who moved to Zhejiang from other provinces.
MIGRANT_ID_PREFIXES: tuple[str, ...] = (
    "3401",
    "3412",
    "3601",
    "3611",
    "4201",
    "4202",
    "4301",
    "4305",
    "5101",
    "5113",
    "4101",
    "4113",
    "3205",
    "3208",
    "3502",
    "5002",
    "5201",
    "4503",
)
ID_DISTRICT_SUFFIXES: tuple[str, ...] = ("02", "03", "04", "05", "06", "21", "22", "24", "81", "82")

# Place names for grids (网格) and stores; combined with the district they are unique.
PLACES: tuple[str, ...] = (
    "城东",
    "城西",
    "城南",
    "城北",
    "新城",
    "老城",
    "江滨",
    "湖滨",
    "文化",
    "人民",
    "解放",
    "中山",
    "建设",
    "和平",
    "光明",
    "花园",
    "梅园",
    "桂花",
    "金沙",
    "银湖",
    "青山",
    "白云",
    "凤凰",
    "紫金",
    "东门",
    "西门",
    "南门",
    "北门",
    "城关",
    "高新",
    "滨海",
    "港区",
    "科技城",
    "大学城",
    "湖畔",
    "江南",
    "江北",
    "河西",
    "河东",
    "站前",
    "世纪",
    "阳光",
    "锦绣",
    "幸福",
    "和谐",
    "兴业",
    "永安",
    "长安",
    "安康",
    "福田",
    "时代",
    "明珠",
    "金港",
    "海港",
    "新桥",
    "古城",
    "文昌",
    "学府",
    "北湖",
    "东湖",
    "西苑",
    "南苑",
    "北苑",
    "东苑",
    "桃源",
    "杏林",
    "柳岸",
    "荷塘",
    "松林",
    "竹园",
    "枫林",
    "翠竹",
    "华庭",
    "丽景",
    "景园",
    "康乐",
    "育才",
    "体育场",
    "火车站",
    "汽车站",
    "工业园",
    "开发区",
    "新村",
    "老街",
    "商贸",
    "五一",
    "胜利",
    "红旗",
    "向阳",
    "朝阳",
    "东风",
    "前进",
    "新华",
    "兴华",
    "振兴",
    "繁荣",
    "金桥",
    "银桥",
    "石桥",
    "玉泉",
    "清泉",
    "龙山",
    "凤山",
    "狮山",
    "马山",
    "梧桐",
    "香樟",
    "银杏",
    "紫薇",
    "海棠",
    "芙蓉",
)
STREET_SUFFIXES: tuple[str, ...] = ("路", "大道", "街", "中路", "东路", "西路")

# Surnames with rough relative frequencies (Zhejiang leans to 陈, 王, 张, 李, 吴).
SURNAMES: tuple[tuple[str, float], ...] = (
    ("王", 7.0),
    ("陈", 6.8),
    ("张", 6.2),
    ("李", 6.0),
    ("刘", 4.0),
    ("吴", 3.2),
    ("杨", 2.6),
    ("黄", 2.2),
    ("周", 2.2),
    ("徐", 2.1),
    ("赵", 1.8),
    ("朱", 1.6),
    ("孙", 1.4),
    ("胡", 1.4),
    ("金", 1.2),
    ("林", 1.2),
    ("郑", 1.1),
    ("何", 1.0),
    ("叶", 1.0),
    ("潘", 0.9),
    ("沈", 0.9),
    ("钱", 0.8),
    ("蒋", 0.8),
    ("俞", 0.7),
    ("方", 0.7),
    ("应", 0.6),
    ("楼", 0.5),
    ("章", 0.6),
    ("马", 0.8),
    ("郭", 0.8),
    ("高", 0.8),
    ("罗", 0.6),
    ("梁", 0.5),
    ("谢", 0.6),
    ("宋", 0.5),
    ("唐", 0.5),
    ("许", 0.6),
    ("韩", 0.4),
    ("冯", 0.4),
    ("邓", 0.4),
    ("曹", 0.4),
    ("彭", 0.3),
    ("曾", 0.3),
    ("董", 0.5),
    ("袁", 0.4),
    ("姚", 0.5),
    ("卢", 0.4),
    ("汪", 0.6),
    ("范", 0.4),
    ("戴", 0.4),
    ("邵", 0.4),
    ("洪", 0.4),
    ("余", 0.5),
    ("杜", 0.3),
    ("程", 0.4),
    ("苏", 0.3),
    ("魏", 0.3),
    ("吕", 0.4),
    ("丁", 0.4),
    ("任", 0.3),
    ("姜", 0.3),
    ("陆", 0.5),
    ("施", 0.4),
    ("毛", 0.4),
    ("傅", 0.4),
    ("夏", 0.3),
)
GIVEN_MALE: tuple[str, ...] = tuple(
    "伟强磊军勇杰涛斌超明刚平辉鹏华飞鑫波宁健亮俊峰浩宇轩博文建国志海东林晨阳"
    "杭军凯翔振宏伦航晓立新成康荣毅锋坤嘉豪哲睿泽铭"
)
GIVEN_FEMALE: tuple[str, ...] = tuple(
    "芳娜敏静丽艳娟霞燕玲婷雪琳颖倩洁欣怡悦蕾梅兰红萍晶慧佳妍雯璐琴露瑶菲思雨诗涵梓萱可馨月婉晴琪"
)


@dataclass(frozen=True)
class PlanSpec:
    code: str
    name: str
    name_en: str
    family: str  # one of Plan.Family values
    fee_yuan: int
    data_gb: int
    voice_minutes: int
    broadband_mbps: int = 0
    mobile_lines: int = 0
    has_tv: bool = False
    contract_months: int = 0
    on_sale: bool = True


PLANS: tuple[PlanSpec, ...] = (
    PlanSpec("MOB19", "畅享套餐19元", "Mobile 19", "mobile", 19, 10, 100, mobile_lines=1),
    PlanSpec(
        "MOB29",
        "乐享4G套餐29元（已下架）",
        "4G 29 (legacy)",
        "mobile",
        29,
        3,
        100,
        mobile_lines=1,
        on_sale=False,
    ),
    PlanSpec("MOB39", "5G畅享套餐39元", "5G 39", "mobile", 39, 20, 200, mobile_lines=1),
    PlanSpec("MOB59", "5G畅享套餐59元", "5G 59", "mobile", 59, 40, 300, mobile_lines=1),
    PlanSpec(
        "MOB99",
        "5G畅享套餐99元",
        "5G 99",
        "mobile",
        99,
        80,
        600,
        mobile_lines=1,
        contract_months=12,
    ),
    PlanSpec(
        "MOB199",
        "5G畅享套餐199元",
        "5G 199",
        "mobile",
        199,
        200,
        1500,
        mobile_lines=1,
        contract_months=12,
    ),
    PlanSpec(
        "FAM99",
        "融合套餐99元",
        "Family bundle 99",
        "family_bundle",
        99,
        20,
        300,
        broadband_mbps=200,
        mobile_lines=2,
        has_tv=True,
        contract_months=24,
    ),
    PlanSpec(
        "FAM129",
        "融合套餐129元",
        "Family bundle 129",
        "family_bundle",
        129,
        30,
        500,
        broadband_mbps=300,
        mobile_lines=3,
        has_tv=True,
        contract_months=24,
    ),
    PlanSpec(
        "FAM169",
        "融合套餐169元",
        "Family bundle 169",
        "family_bundle",
        169,
        60,
        1000,
        broadband_mbps=500,
        mobile_lines=3,
        has_tv=True,
        contract_months=24,
    ),
    PlanSpec(
        "FAM199",
        "融合套餐199元（千兆）",
        "Family bundle 199 (gigabit)",
        "family_bundle",
        199,
        100,
        1500,
        broadband_mbps=1000,
        mobile_lines=4,
        has_tv=True,
        contract_months=24,
    ),
    PlanSpec(
        "FAM239",
        "全屋千兆融合套餐239元（FTTR）",
        "Whole-home gigabit bundle 239 (FTTR)",
        "family_bundle",
        239,
        150,
        2000,
        broadband_mbps=1000,
        mobile_lines=5,
        has_tv=True,
        contract_months=24,
    ),
    PlanSpec(
        "BB100",
        "宽带100M",
        "Broadband 100M",
        "broadband",
        50,
        0,
        0,
        broadband_mbps=100,
        contract_months=12,
    ),
    PlanSpec(
        "BB300",
        "宽带300M",
        "Broadband 300M",
        "broadband",
        80,
        0,
        0,
        broadband_mbps=300,
        contract_months=12,
    ),
    PlanSpec(
        "BB1000",
        "宽带1000M",
        "Broadband 1000M",
        "broadband",
        120,
        0,
        0,
        broadband_mbps=1000,
        contract_months=24,
    ),
    PlanSpec("FIX15", "固话月租15元", "Fixed line 15", "fixed", 15, 0, 100),
)

# Customer segments: (segment, share of customers, {plan code: weight}).
SEGMENTS: tuple[tuple[str, float, dict[str, float]], ...] = (
    (
        "bundle",
        0.34,
        {"FAM99": 0.22, "FAM129": 0.38, "FAM169": 0.20, "FAM199": 0.14, "FAM239": 0.06},
    ),
    (
        "mobile",
        0.48,
        {"MOB19": 0.14, "MOB29": 0.08, "MOB39": 0.22, "MOB59": 0.30, "MOB99": 0.18, "MOB199": 0.08},
    ),
    ("broadband", 0.14, {"BB100": 0.30, "BB300": 0.50, "BB1000": 0.20}),
    ("fixed", 0.04, {"FIX15": 1.0}),
)

# Upgrade / downgrade paths for plan changes (套餐变更), by plan code.
PLAN_UP: dict[str, str] = {
    "MOB19": "MOB39",
    "MOB29": "MOB39",
    "MOB39": "MOB59",
    "MOB59": "MOB99",
    "MOB99": "MOB199",
    "FAM99": "FAM129",
    "FAM129": "FAM169",
    "FAM169": "FAM199",
    "FAM199": "FAM239",
    "BB100": "BB300",
    "BB300": "BB1000",
}
PLAN_DOWN: dict[str, str] = {
    "MOB39": "MOB19",
    "MOB59": "MOB39",
    "MOB99": "MOB59",
    "MOB199": "MOB99",
    "FAM129": "FAM99",
    "FAM169": "FAM129",
    "FAM199": "FAM169",
    "FAM239": "FAM199",
}
PLAN_CHANGE_REASONS_UP: tuple[str, ...] = (
    "流量不够用，升档",
    "办理千兆提速",
    "家庭成员增加，升级融合套餐",
    "合约续约升档",
)
PLAN_CHANGE_REASONS_DOWN: tuple[str, ...] = (
    "资费偏高，降档",
    "使用量下降，降档",
    "挽留降档",
    "老人卡降档",
)
PLAN_CHANGE_REASON_LEGACY = "旧套餐下架迁转"


@dataclass(frozen=True)
class CompetitorOffer:
    competitor: str
    target: str  # segment it competes for: bundle, mobile or broadband
    description: str
    promo_yuan: int
    promo_months: int
    regular_yuan: int


COMPETITOR_OFFERS: tuple[CompetitorOffer, ...] = (
    CompetitorOffer(
        "中国移动",
        "bundle",
        "移动全家享融合套餐：携转新用户前12个月59元/月，之后118元/月"
        "（3张卡、300M宽带、电视、30GB）",
        59,
        12,
        118,
    ),
    CompetitorOffer(
        "中国联通",
        "bundle",
        "联通智慧沃家：新装前6个月69元/月，之后129元/月（2张卡、500M宽带）",
        69,
        6,
        129,
    ),
    CompetitorOffer(
        "中国广电",
        "bundle",
        "广电融合套餐：首年49元/月，次年99元/月（宽带、电视、2张卡）",
        49,
        12,
        99,
    ),
    CompetitorOffer(
        "中国移动",
        "mobile",
        "移动5G套餐：携号转网用户前6个月29元/月，之后59元/月（30GB）",
        29,
        6,
        59,
    ),
    CompetitorOffer(
        "中国联通", "mobile", "联通大王卡：新入网首年19元/月，之后39元/月（40GB）", 19, 12, 39
    ),
    CompetitorOffer(
        "中国广电", "mobile", "广电192号段：19元/月含30GB，首年有效，之后29元/月", 19, 12, 29
    ),
    CompetitorOffer(
        "中国移动", "broadband", "移动千兆宽带：首年50元/月，次年100元/月", 50, 12, 100
    ),
    CompetitorOffer(
        "中国联通", "broadband", "联通500M宽带：新装前6个月免费，之后80元/月", 0, 6, 80
    ),
)

# The known churn drivers (ground truth of generated churn), with their Chinese labels.
CHURN_DRIVERS: tuple[tuple[str, str], ...] = (
    ("competitor_price", "竞对低价"),
    ("contract_end", "合约到期"),
    ("bill_shock", "账单异常"),
    ("unresolved_fault", "故障/投诉未解决"),
    ("early_tenure", "新入网流失"),
    ("usage_decline", "使用下降/不再需要"),
)
DRIVER_CODES: tuple[str, ...] = tuple(code for code, _label in CHURN_DRIVERS)

# Short notes agents write (接触记录); chosen by what the contact was about.
NOTES: dict[str, tuple[str, ...]] = {
    "routine_billing": (
        "客户查询本月话费，已告知明细",
        "客户咨询账单扣费项目，已解释",
        "客户要求开具发票，已办理",
        "客户查询余额及缴费方式，已告知",
    ),
    "routine_plan": (
        "客户咨询套餐内容及剩余流量，已告知",
        "客户咨询升级5G套餐，已介绍",
        "客户咨询副卡办理，已说明",
        "客户咨询宽带提速，已预约",
    ),
    "routine_device": (
        "客户咨询手机合约机活动，已介绍",
        "客户反映光猫指示灯异常，已远程指导重启",
        "客户咨询机顶盒遥控器更换",
    ),
    "routine_other": (
        "客户咨询营业厅营业时间",
        "客户办理实名信息核对",
        "客户咨询积分兑换，已告知",
        "客户咨询携号转网规则",
    ),
    "fault_resolved": (
        "客户反映宽带晚间频繁掉线，远程检测后恢复",
        "客户反映手机信号弱，已调整参数并回访确认",
        "客户反映电视卡顿，指导重启机顶盒后恢复",
    ),
    "fault_unresolved": (
        "客户反映宽带多次断网，已派单维修，待上门",
        "客户反映室内无信号，已提交网优工单，未解决",
        "客户反映网速远低于签约速率，已派单，客户不满",
        "客户反映电视频繁黑屏，维修未到场",
    ),
    "complaint_resolved": (
        "客户投诉报修久未处理，已协调当日上门修复",
        "客户投诉装维人员态度，已致歉并安排回访",
    ),
    "complaint_unresolved": (
        "客户再次投诉故障未修复，要求给说法，已升级处理",
        "客户投诉多次报修无果，情绪激动，已转二线",
        "客户称再不解决就拆机，已升级至分局",
    ),
    "bill_roaming": (
        "客户对上月国际漫游费用有异议，已解释计费规则",
        "客户出境后产生高额漫游费，要求减免，已提交申请",
    ),
    "bill_overage": (
        "客户对套餐外流量费用有异议，已解释并推荐升档",
        "客户反映账单比平时高很多，已逐项核对",
    ),
    "churn_precontact_price": (
        "客户咨询能否降低资费，提及竞争对手融合活动价格",
        "客户称邻居办了低价套餐，询问有无同等优惠",
    ),
    "churn_precontact_generic": (
        "客户咨询拆机流程及所需材料",
        "客户询问合约到期后能否直接销户",
    ),
    "retained": (
        "客户要求拆机，经比算说明后同意保留，已加企业微信跟进",
        "客户要求降档，已办理挽留优惠，客户满意",
        "客户因竞对低价要求拆机，已申请二级维挽折扣，客户接受",
    ),
    "churn_competitor_price": (
        "客户因竞对低价要求拆机，已比算说明促销期后价格，客户坚持办理",
        "客户已办理携号转网，要求拆除宽带，已办理",
    ),
    "churn_contract_end": (
        "合约到期，客户要求取消融合套餐，已办理拆机",
        "合约期满，客户不再续约，已销号",
    ),
    "churn_bill_shock": (
        "客户对高额账单不满，要求销户，已办理",
        "客户因漫游扣费争议要求销号，已办理并登记投诉",
    ),
    "churn_unresolved_fault": (
        "宽带故障多次报修未解决，客户要求拆机，已办理",
        "客户称信号问题长期未解决，坚持销号，已办理",
    ),
    "churn_early_tenure": (
        "新入网客户称实际体验与宣传不符，要求退订，已办理",
        "客户入网不久，称资费理解有误，要求销号，已办理",
    ),
    "churn_usage_decline": (
        "客户搬迁外地，宽带不再使用，已办理拆机",
        "客户称号码已不常用，办理销号",
        "客户家中老人去世，办理销号",
    ),
}
