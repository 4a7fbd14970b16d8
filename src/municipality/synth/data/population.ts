// Population structure and movement rates for synthetic residents, as data with their sources
// (docs/decisions/0030-synthetic-residents.md).

/**
 * Population of Japan by five-year age band and sex, thousands: 総務省統計局「人口推計」2022年10月1日現在
 * (as tabulated in 国立社会保障・人口問題研究所「人口統計資料集」2024年版 表2-2).  Total 124,947 thousand;
 * 65+ = 29.0% (the 2024 estimate: 29.3%).  `[from age, male, female]`; the last band is 100+.
 */
export const AGE_BANDS: readonly (readonly [number, number, number])[] = [
  [0, 2174, 2073],
  [5, 2535, 2413],
  [10, 2720, 2588],
  [15, 2830, 2682],
  [20, 3216, 3047],
  [25, 3295, 3118],
  [30, 3300, 3146],
  [35, 3668, 3544],
  [40, 4028, 3918],
  [45, 4792, 4671],
  [50, 4756, 4680],
  [55, 4036, 4038],
  [60, 3684, 3761],
  [65, 3665, 3870],
  [70, 4405, 4932],
  [75, 3151, 3878],
  [80, 2392, 3350],
  [85, 1429, 2525],
  [90, 560, 1429],
  [95, 111, 449],
  [100, 10, 77],
];

/** Oldest age generated (the 100+ band is spread over 100..MAX_AGE, thinning out). */
export const MAX_AGE = 107;

/**
 * Annual death rate per 100,000 by five-year age band (both sexes), rounded after 厚生労働省「人口動態統計」
 * 年齢階級別死亡率.  Applied to the 2022 population above these give ≈1.57 million deaths a year (2022
 * actual: 1,569,050).  Men die at about 1.25× and women at 0.8× the both-sexes rate.
 */
export const DEATH_RATE_PER_100K: readonly number[] = [45, 7, 9, 25, 38, 42, 52, 72, 108, 170, 270, 400, 620, 980, 1550, 2500, 4300, 7900, 14500, 25500, 42000];
export const DEATH_SEX_FACTOR = { male: 1.25, female: 0.8 } as const;

/**
 * Births: 686,061 in 2024 (厚生労働省「人口動態統計」概数, 日本における日本人) ≈ 5.6 per 1,000 a year.
 * Mothers are chosen by age with the shape of the age-specific fertility rates (peak at 30–34).
 */
export const BIRTHS_PER_1000 = 5.6;
/** Relative fertility by mother's age band 15–19 … 45–49. */
export const FERTILITY_BY_AGE: readonly number[] = [0.3, 2.2, 7.0, 9.3, 5.7, 1.3, 0.05];

/**
 * Moves between municipalities: about 5.3 million people a year change municipality (総務省「住民基本台帳人口移動
 * 報告」, 市区町村間移動者数), ≈ 4.3% of the population; moves within a municipality (転居) are of the same order.
 * Rates below are per person per year; household moves carry the whole household.
 */
export const MOVE_OUT_PER_YEAR = 0.04;
export const MOVE_WITHIN_PER_YEAR = 0.03;
/** Marriage and divorce name changes outside a move: 婚姻 ≈ 485,000 and 離婚 ≈ 185,000 a year (2024). */
export const NAME_CHANGE_PER_YEAR = 0.003;
/** Office actions and 住登外 registrations (rare; at least one of each in the first diff week). */
export const OFFICE_RECORD_PER_YEAR = 0.0001;
export const OFFICE_REMOVE_PER_YEAR = 0.0003;
export const NON_RESIDENT_PER_YEAR = 0.0002;

/**
 * Seasonality of moves by month (Jan…Dec, mean 1): the March/April peak of school and job starts,
 * approximated from the monthly 住民基本台帳人口移動報告.
 */
export const MOVE_SEASON: readonly number[] = [0.75, 0.8, 2.0, 1.5, 0.85, 0.8, 0.85, 0.85, 0.85, 0.85, 0.75, 0.75];

/** Foreign residents: 3,768,977 at the end of 2024 (出入国在留管理庁) ≈ 3.0% of 123.8 million. */
export const FOREIGN_SHARE = 0.03;
