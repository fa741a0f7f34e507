// Names and choices of 在线签约管理 as the school and department guide words them.
import { isSchoolUser, session } from './session.js'

// The 签约状态 filter. STATUS_FILTER_UNSPECIFIED is the service's default, accepted signings
// waiting for review, and the guide's default choice. (el-select shows '' as no choice at all.)
export const DEFAULT_STATUS_FILTER = 'STATUS_FILTER_UNSPECIFIED'
export const STATUS_FILTERS = [
  { value: DEFAULT_STATUS_FILTER, label: '就业协议审核中，等待学院/学校审核' },
  { value: 'STATUS_FILTER_ALL', label: '全部' },
  { value: 'STATUS_FILTER_INVITED', label: '单位发起签约，等待学生应约' },
  { value: 'STATUS_FILTER_SIGNED', label: '签约完成' },
  { value: 'STATUS_FILTER_REJECTED', label: '审核不通过，签约失败' },
  { value: 'STATUS_FILTER_VOIDED', label: '已作废' },
  { value: 'STATUS_FILTER_CLOSED', label: '学生已拒绝、邀请已失效或单位已撤回' },
]

// The reject reasons of the online signing flow (services/signing/online_signing.cc).
export const REJECT_REASONS = [
  { code: 'GRADUATE_DATA_MISMATCH', label: '学生信息与学籍信息不一致' },
  { code: 'EMPLOYER_DATA_INVALID', label: '单位信息有误' },
  { code: 'AGREEMENT_TERMS_INVALID', label: '协议内容不符合要求' },
  { code: 'OTHER', label: '其他原因' },
]

export function rejectReasonLabel(code, reasons = REJECT_REASONS) {
  return reasons.find((reason) => reason.code === code)?.label || code
}

// 鉴证 for 两方协议 and 审核 for 三方协议: the school's review word, for pages without a record's reviewVerb.
export function schoolReviewVerb() {
  return session.school?.agreementType === 'AGREEMENT_TYPE_TWO_PARTY' ? '鉴证' : '审核'
}

// True when the signed-in user reviews `signing` now: it waits at the user's stage (department
// users at the department stage, school users at the school stage).
export function reviewableByUser(signing) {
  if (signing.state !== 'ONLINE_SIGNING_STATE_PENDING_REVIEW') return false
  return signing.reviewStage === (isSchoolUser.value ? 'REVIEW_STAGE_SCHOOL' : 'REVIEW_STAGE_DEPARTMENT')
}

// Instants show in Beijing time whatever the browser's zone, as deadlines and the guide's dates
// are Beijing dates.
export function formatTime(value) {
  return value ? new Date(value).toLocaleString('zh-CN', { timeZone: 'Asia/Shanghai', hour12: false }) : '—'
}

// The 签约状态 filter of 补登管理; PAPER_STATUS_FILTER_UNSPECIFIED is the default, records
// waiting for review.
export const DEFAULT_PAPER_STATUS_FILTER = 'PAPER_STATUS_FILTER_UNSPECIFIED'
export const PAPER_STATUS_FILTERS = [
  { value: DEFAULT_PAPER_STATUS_FILTER, label: '签约审核中，等待学院/学校审核' },
  { value: 'PAPER_STATUS_FILTER_ALL', label: '全部' },
  { value: 'PAPER_STATUS_FILTER_RETURNED', label: '退回修改' },
  { value: 'PAPER_STATUS_FILTER_REJECTED', label: '审核不通过' },
  { value: 'PAPER_STATUS_FILTER_WITHDRAWN', label: '已撤回' },
  { value: 'PAPER_STATUS_FILTER_REGISTERED', label: '登记完成' },
  { value: 'PAPER_STATUS_FILTER_VOIDED', label: '已作废' },
]

// The reject reasons of the paper registration flow (services/signing/paper_registration.cc).
export const PAPER_REJECT_REASONS = [
  { code: 'GRADUATE_DATA_MISMATCH', label: '学生信息与学籍信息不一致' },
  { code: 'EMPLOYER_DATA_INVALID', label: '单位信息有误' },
  { code: 'SCAN_INVALID', label: '协议书图像不清晰或未加盖单位公章' },
  { code: 'AGREEMENT_DATA_MISMATCH', label: '登记信息与纸质协议书不一致' },
  { code: 'OTHER', label: '其他原因' },
]

// True when the signed-in user reviews the paper registration now, as reviewableByUser for
// online signings.
export function paperReviewableByUser(registration) {
  if (registration.state !== 'PAPER_REGISTRATION_STATE_PENDING_REVIEW') return false
  return registration.reviewStage === (isSchoolUser.value ? 'REVIEW_STAGE_SCHOOL' : 'REVIEW_STAGE_DEPARTMENT')
}

// The 签约状态 filter of 在线签约管理 when 签约发起方 is 学生 (the offline e-agreement flow).
// OFFLINE_STATUS_FILTER_UNSPECIFIED is the default, agreements waiting for the agreement review.
export const DEFAULT_OFFLINE_STATUS_FILTER = 'OFFLINE_STATUS_FILTER_UNSPECIFIED'
export const OFFLINE_STATUS_FILTERS = [
  { value: DEFAULT_OFFLINE_STATUS_FILTER, label: '就业协议审核中，等待学院/学校审核' },
  { value: 'OFFLINE_STATUS_FILTER_ALL', label: '全部' },
  { value: 'OFFLINE_STATUS_FILTER_AGREEMENT_RETURNED', label: '就业协议退回修改或已撤回' },
  { value: 'OFFLINE_STATUS_FILTER_AWAITING_UPLOAD', label: '就业协议审核通过，等待上传盖章协议' },
  { value: 'OFFLINE_STATUS_FILTER_SIGNING_REVIEW', label: '签约审核中，等待学院/学校审核' },
  { value: 'OFFLINE_STATUS_FILTER_SIGNING_RETURNED', label: '签约退回修改或已撤回' },
  { value: 'OFFLINE_STATUS_FILTER_REJECTED', label: '审核不通过' },
  { value: 'OFFLINE_STATUS_FILTER_SIGNED', label: '签约完成' },
  { value: 'OFFLINE_STATUS_FILTER_VOIDED', label: '已作废' },
]

// The reject reasons of the two offline reviews (services/signing/offline_signing.cc).
export const OFFLINE_REJECT_REASONS = {
  OFFLINE_REVIEW_PHASE_AGREEMENT: [
    { code: 'GRADUATE_DATA_MISMATCH', label: '学生信息与学籍信息不一致' },
    { code: 'EMPLOYER_DATA_INVALID', label: '单位信息有误' },
    { code: 'AGREEMENT_TERMS_INVALID', label: '协议内容不符合要求' },
    { code: 'OTHER', label: '其他原因' },
  ],
  OFFLINE_REVIEW_PHASE_SIGNING: [
    { code: 'SCAN_UNREADABLE', label: '上传的协议图像不清晰或不完整' },
    { code: 'STAMP_MISSING', label: '协议未加盖用人单位公章' },
    { code: 'AGREEMENT_CONTENT_WRONG', label: '电子就业协议书信息有误' },
    { code: 'OTHER', label: '其他原因' },
  ],
}

export const OFFLINE_PHASE_NAMES = {
  OFFLINE_REVIEW_PHASE_AGREEMENT: '就业协议审核',
  OFFLINE_REVIEW_PHASE_SIGNING: '签约审核',
}

// True when the signed-in user reviews the offline agreement now, in either of its reviews.
export function offlineReviewableByUser(agreement) {
  const pending = ['OFFLINE_AGREEMENT_STATE_AGREEMENT_REVIEW', 'OFFLINE_AGREEMENT_STATE_SIGNING_REVIEW']
  if (!pending.includes(agreement.state)) return false
  return agreement.reviewStage === (isSchoolUser.value ? 'REVIEW_STAGE_SCHOOL' : 'REVIEW_STAGE_DEPARTMENT')
}
