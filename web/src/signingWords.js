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

export function rejectReasonLabel(code) {
  return REJECT_REASONS.find((reason) => reason.code === code)?.label || code
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

export function formatTime(value) {
  return value ? new Date(value).toLocaleString('zh-CN', { hour12: false }) : '—'
}
