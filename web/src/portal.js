// Calls and display rules of the graduate portal (毕业生) and the employer portal (用人单位).
// Every call goes through api.js's request(), so request ids, CSRF and Chinese errors work as in
// the staff console. Which user may open which pages is in portalRoutes.js.
import { ApiError, request } from './api.js'

export const portalApi = {
  activateGraduate: (body) => request('POST', '/graduateAccounts:activate', { body }),
  registerEmployer: (body, requestId) =>
    request('POST', '/employers:register', { body: { ...body, requestId }, requestId }),
  employer: (employerId) => request('GET', `/employers/${employerId}`),
  school: (schoolId) => request('GET', `/schools/${schoolId}`),
  graduate: (schoolId, graduateId) => request('GET', `/schools/${schoolId}/graduates/${graduateId}`),
  eligibility: (schoolId, graduateId, flow) =>
    request('GET', `/schools/${schoolId}/graduates/${graduateId}/eligibility`, { query: { flow } }),
  graduateInvitations: (schoolId, graduateId) =>
    request('GET', `/schools/${schoolId}/graduates/${graduateId}/invitations`),
  // One online signing with its review history, for its graduate or its inviting employer.
  onlineSigning: (schoolId, invitationId) => request('GET', `/schools/${schoolId}/onlineSignings/${invitationId}`),
  acceptInvitation: (invitationId, etag, requestId) =>
    request('POST', `/invitations/${invitationId}:accept`, { body: { requestId, etag }, requestId }),
  declineInvitation: (invitationId, etag, requestId) =>
    request('POST', `/invitations/${invitationId}:decline`, { body: { requestId, etag }, requestId }),
  withdrawInvitation: (invitationId, etag, requestId) =>
    request('POST', `/invitations/${invitationId}:withdraw`, { body: { requestId, etag }, requestId }),
  employerInvitations: (employerId, page, pageSize) =>
    request('GET', `/employers/${employerId}/invitations`, { query: { page, pageSize } }),
  createInvitation: (employerId, invitation, requestId) =>
    request('POST', `/employers/${employerId}/invitations`, { body: { ...invitation, requestId }, requestId }),
  codeTable: (table, classYear) => request('GET', `/codeTables/${table}`, { query: { classYear } }),

  // Offline e-agreements (毕业生申请电子就业协议线下签约).
  offlineAgreements: (schoolId, graduateId) =>
    request('GET', `/schools/${schoolId}/graduates/${graduateId}/offlineAgreements`),
  offlineAgreement: (schoolId, agreementId) => request('GET', `/schools/${schoolId}/offlineAgreements/${agreementId}`),
  createOfflineAgreement: (schoolId, graduateId, agreement, requestId) =>
    request('POST', `/schools/${schoolId}/graduates/${graduateId}/offlineAgreements`, {
      body: { ...agreement, requestId },
      requestId,
    }),
  updateOfflineAgreement: (schoolId, agreementId, etag, agreement, requestId) =>
    request('PUT', `/schools/${schoolId}/offlineAgreements/${agreementId}`, {
      body: { ...agreement, etag, requestId },
      requestId,
    }),
  withdrawOfflineAgreement: (schoolId, agreementId, etag, requestId) =>
    request('POST', `/schools/${schoolId}/offlineAgreements/${agreementId}:withdraw`, {
      body: { etag, requestId },
      requestId,
    }),
  uploadStampedScan: (schoolId, agreementId, etag, file, requestId) =>
    uploadFile(`/schools/${schoolId}/offlineAgreements/${agreementId}/stampedScan`, file, { requestId, etag }, requestId),

  // Paper agreement registration (已签纸质就业协议登记, 补登). Paths below are under
  // /schools/{schoolId}/graduates/{graduateId}/paperRegistrations.
  paperRegistrations: (schoolId, graduateId) =>
    request('GET', `/schools/${schoolId}/graduates/${graduateId}/paperRegistrations`),
  createPaperRegistration: (schoolId, graduateId, agreement, requestId) =>
    request('POST', `/schools/${schoolId}/graduates/${graduateId}/paperRegistrations`, {
      body: { agreement, requestId },
      requestId,
    }),
  updatePaperRegistration: (schoolId, graduateId, registrationId, etag, agreement, requestId) =>
    request('PUT', `/schools/${schoolId}/graduates/${graduateId}/paperRegistrations/${registrationId}`, {
      body: { agreement, etag, requestId },
      requestId,
    }),
  uploadPaperRegistrationScan: (schoolId, graduateId, registrationId, etag, file, requestId) =>
    uploadFile(
      `/schools/${schoolId}/graduates/${graduateId}/paperRegistrations/${registrationId}/scan`,
      file,
      { requestId, etag },
      requestId,
    ),
  submitPaperRegistration: (schoolId, graduateId, registrationId, etag, requestId) =>
    request('POST', `/schools/${schoolId}/graduates/${graduateId}/paperRegistrations/${registrationId}:submit`, {
      body: { etag, requestId },
      requestId,
    }),
  withdrawPaperRegistration: (schoolId, graduateId, registrationId, etag, requestId) =>
    request('POST', `/schools/${schoolId}/graduates/${graduateId}/paperRegistrations/${registrationId}:withdraw`, {
      body: { etag, requestId },
      requestId,
    }),
}

function csrfToken() {
  const match = document.cookie.match(/(?:^|;\s*)qx_csrf=([^;]*)/)
  return match ? decodeURIComponent(match[1]) : ''
}

// Sends `file` as the raw body of a POST (an HttpFile request) with `query` as query parameters
// and returns the decoded JSON response. Raises ApiError like request().
async function uploadFile(path, file, query, requestId) {
  const params = new URLSearchParams(query).toString()
  let response
  try {
    response = await fetch(`/v1${path}?${params}`, {
      method: 'POST',
      headers: {
        Accept: 'application/json',
        'Content-Type': file.type || 'application/octet-stream',
        'X-CSRF-Token': csrfToken(),
        'X-Request-Id': requestId,
        'X-File-Name': encodeURIComponent(file.name || ''),
      },
      body: file,
      credentials: 'same-origin',
    })
  } catch {
    throw new ApiError(0, { message: '无法连接服务器，请检查网络后重试', reason: 'NETWORK_ERROR' })
  }
  let data = null
  try {
    data = await response.json()
  } catch {
    data = null
  }
  if (!response.ok) throw new ApiError(response.status, data)
  return data || {}
}

// The file name of a Content-Disposition header (RFC 6266; filename* in UTF-8 first), or ''.
function attachmentName(header) {
  const encoded = /filename\*\s*=\s*UTF-8''([^;]+)/i.exec(header || '')
  if (encoded) {
    try {
      return decodeURIComponent(encoded[1].trim())
    } catch {
      // A malformed encoding falls back to the plain filename parameter.
    }
  }
  const plain = /filename\s*=\s*"?([^";]+)"?/i.exec(header || '')
  return plain ? plain[1].trim() : ''
}

// Downloads the raw file of a GET route (an HttpFile response) and saves it in the browser under
// the name the server gives, or `fallbackName`. Raises ApiError with the server's message when
// the download fails.
export async function downloadFile(path, fallbackName) {
  let response
  try {
    response = await fetch(`/v1${path}`, { credentials: 'same-origin' })
  } catch {
    throw new ApiError(0, { message: '无法连接服务器，请检查网络后重试', reason: 'NETWORK_ERROR' })
  }
  if (!response.ok) {
    let body = null
    try {
      body = await response.json()
    } catch {
      body = null
    }
    throw new ApiError(response.status, body)
  }
  const blob = await response.blob()
  const link = document.createElement('a')
  link.href = URL.createObjectURL(blob)
  link.download = attachmentName(response.headers.get('Content-Disposition')) || fallbackName
  document.body.appendChild(link)
  link.click()
  link.remove()
  setTimeout(() => URL.revokeObjectURL(link.href), 60000)
}

export function agreementPdfPath(agreementNumber) {
  return `/agreements/${encodeURIComponent(agreementNumber)}/pdf`
}

// Element Plus tag types of the online signing states.
const STATE_TAG_TYPES = {
  ONLINE_SIGNING_STATE_INVITED: 'primary',
  ONLINE_SIGNING_STATE_PENDING_REVIEW: 'warning',
  ONLINE_SIGNING_STATE_SIGNED: 'success',
  ONLINE_SIGNING_STATE_REJECTED: 'danger',
}

export function stateTagType(state) {
  return STATE_TAG_TYPES[state] || 'info'
}

// The reject reason codes of ReviewOnlineSigning as the review dialog names them.
const REJECT_REASONS = {
  GRADUATE_DATA_MISMATCH: '毕业生信息有误',
  EMPLOYER_DATA_INVALID: '单位信息有误',
  AGREEMENT_TERMS_INVALID: '协议条款不符合要求',
  OTHER: '其他原因',
}

export function rejectReasonText(code) {
  return REJECT_REASONS[code] || code || ''
}

export function formatTime(value) {
  if (!value) return '—'
  const date = new Date(value)
  if (Number.isNaN(date.getTime())) return '—'
  return date.toLocaleString('zh-CN', { timeZone: 'Asia/Shanghai', hour12: false })
}

// The answer deadline of an invitation whose last day is `day` (YYYY-MM-DD): the end of that day
// in Beijing time (UTC+8, no daylight saving), as an RFC 3339 instant.
export function answerDeadlineOf(day) {
  return new Date(`${day}T23:59:59+08:00`).toISOString()
}

// Today in Beijing time as YYYY-MM-DD.
export function beijingToday() {
  return new Date(Date.now() + 8 * 3600 * 1000).toISOString().slice(0, 10)
}

// The characters of a unified social credit code (GB 32100-2015) in value order, without I, O,
// Z, S and V, and the weights 3^i mod 31 of its first 17 positions.
const CREDIT_CODE_CHARACTERS = '0123456789ABCDEFGHJKLMNPQRTUWXY'
const CREDIT_CODE_WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]

// Checks a unified social credit code the way the accounts service does and returns the
// message to show, or '' for a valid code. The service checks again on registration.
export function creditCodeProblem(code) {
  if (!code) return '请填写统一社会信用代码，按营业执照或登记证书填写 18 位代码。'
  const characters = Array.from(code)
  if (characters.length !== 18) {
    return `统一社会信用代码长度为 ${characters.length} 位，应为 18 位。请按营业执照上的代码完整填写。`
  }
  for (const [index, character] of characters.entries()) {
    if (/[a-z]/.test(character)) {
      return `统一社会信用代码第 ${index + 1} 位是小写字母“${character}”，代码中的字母一律大写，请改为大写字母。`
    }
    if (!CREDIT_CODE_CHARACTERS.includes(character)) {
      return (
        `统一社会信用代码第 ${index + 1} 位的“${character}”不是代码可用的字符。代码只由数字 0-9 和除 I、O、Z、S、V ` +
        '以外的大写字母组成，请对照营业执照核对（常见的错误是把数字 0、1 写成字母 O、I）。'
      )
    }
  }
  if (!/^\d{6}$/.test(code.slice(2, 8))) {
    return '统一社会信用代码第 3 至 8 位应为登记管理机关的行政区划代码（6 位数字），请对照营业执照核对。'
  }
  const total = characters
    .slice(0, 17)
    .reduce((sum, character, index) => sum + CREDIT_CODE_CHARACTERS.indexOf(character) * CREDIT_CODE_WEIGHTS[index], 0)
  const check = CREDIT_CODE_CHARACTERS[(31 - (total % 31)) % 31]
  if (characters[17] !== check) {
    return '统一社会信用代码的校验位（第 18 位）不正确，代码中至少有一位填写有误。请对照营业执照逐位核对。'
  }
  return ''
}
