// The rules of department accounts as services/accounts and libs/validation enforce them. The
// account form shows each rule's text under its field before the user types, and checks it on
// blur, so that the service rejects a value only when the rules here are out of date.

export const USERNAME_RULE = '3 至 64 位，只能使用英文字母、数字和 _ . @ - 这几个符号，不能含空格或中文；创建后不能修改。'
export const DISPLAY_NAME_RULE = '必填，不超过 64 个字。'
export const DEPARTMENT_RULE = '从本校毕业生名单的院系中选择，院系名称须与名单完全一致，否则无法鉴证或审核。'
export const PHONE_RULE = '选填。11 位手机号码，或“区号-号码”形式的固定电话，如 010-67410355；分机号接在后面，如 010-67410355-123。'
export const PASSWORD_RULE =
  '8 至 64 位，只能使用英文字母、数字、空格和键盘上的符号，至少包含大写字母、小写字母、数字、其他符号中的三类，且不能包含用户名。'

export const MODULES = [
  { id: 'MODULE_EMPLOYMENT', name: '基本信息和就业信息', menu: '毕业去向登记与网签' },
  { id: 'MODULE_ARCHIVE', name: '档案信息', menu: '档案信息登记' },
  { id: 'MODULE_HOUSEHOLD', name: '户口信息', menu: '户口信息登记' },
]

export const ACCESS_NAMES = {
  ACCESS_READ_WRITE: '读写',
  ACCESS_READ_ONLY: '只读',
  ACCESS_NONE: '无权限',
}

// The defaults of a new account: 读写 for 基本信息和就业信息, 无权限 for the other two.
export function defaultGrants() {
  return { MODULE_EMPLOYMENT: 'ACCESS_READ_WRITE', MODULE_ARCHIVE: 'ACCESS_NONE', MODULE_HOUSEHOLD: 'ACCESS_NONE' }
}

export function grantsOf(user) {
  const grants = defaultGrants()
  for (const grant of user?.grants || []) grants[grant.module] = grant.access
  return grants
}

export function grantList(grants) {
  return MODULES.map((module) => ({ module: module.id, access: grants[module.id] }))
}

const USERNAME_PATTERN = /^[A-Za-z0-9_.@-]{3,64}$/
const MOBILE_PATTERN = /^1[3-9]\d{9}$/
// Area code (010, 02X or 0 and three digits starting with 3-9), an optional hyphen, a local
// number of 7 or 8 digits starting with 2-9 and an optional extension of 1 to 6 digits.
const LANDLINE_PATTERN = /^(010|02\d|0[3-9]\d{2})-?[2-9]\d{6,7}(-\d{1,6})?$/

export function usernameProblem(username) {
  if (!username) return '请填写用户名'
  if (!USERNAME_PATTERN.test(username)) return `用户名不符合要求：${USERNAME_RULE}`
  return ''
}

export function displayNameProblem(name) {
  if (!name || !name.trim()) return '请填写使用人姓名'
  if ([...name].length > 64) return '使用人姓名不能超过 64 个字'
  return ''
}

export function phoneProblem(phone) {
  if (!phone) return ''
  if (MOBILE_PATTERN.test(phone) || LANDLINE_PATTERN.test(phone)) return ''
  return `联系电话格式不正确：${PHONE_RULE.replace('选填。', '')}`
}

export function passwordProblem(password, username) {
  if (!password) return '请填写密码'
  if (!/^[\x20-\x7e]*$/.test(password)) return '密码含有不允许的字符（如中文、全角字符），请切换到英文输入法后重新输入'
  if (password.length < 8) return `密码过短（${password.length} 位），至少 8 位`
  if (password.length > 64) return `密码过长（${password.length} 位），最多 64 位`
  const classes = [/[A-Z]/, /[a-z]/, /\d/, /[^A-Za-z\d]/].filter((pattern) => pattern.test(password)).length
  if (classes < 3) return `密码只包含 ${classes} 类字符，至少需要大写字母、小写字母、数字、其他符号中的三类`
  if (username && password.toLowerCase().includes(username.toLowerCase())) return '密码不能包含用户名'
  return ''
}

// Wraps a problem function as an Element Plus form validator.
export function validator(problem) {
  return (rule, value, callback) => {
    const text = problem(value)
    callback(text ? new Error(text) : undefined)
  }
}
