// The signed-in user, the user's school and the chosen graduating class, shared by every page.
import { computed, reactive } from 'vue'

import { api } from './api.js'

export const MODULES = [
  {
    id: 'MODULE_EMPLOYMENT',
    name: '毕业去向登记与网签',
    description: '管理毕业生的毕业去向及签约信息',
    route: 'home',
  },
  { id: 'MODULE_ARCHIVE', name: '档案信息登记', description: '管理毕业生的档案转寄信息', route: null },
  { id: 'MODULE_HOUSEHOLD', name: '户口信息登记', description: '管理毕业生的户口迁转信息', route: null },
]

const CLASS_YEAR_KEY = 'quxiang.classYear'

// The class graduating this calendar year in Beijing time (UTC+8, no daylight saving).
function currentClassYear() {
  return new Date(Date.now() + 8 * 3600 * 1000).getUTCFullYear()
}

function storedClassYear() {
  const value = Number(globalThis.localStorage?.getItem(CLASS_YEAR_KEY))
  return Number.isInteger(value) && value >= 2000 && value <= 2100 ? value : currentClassYear()
}

export const session = reactive({
  user: null,
  school: null,
  classYear: storedClassYear(),
})

export function setClassYear(year) {
  session.classYear = year
  globalThis.localStorage?.setItem(CLASS_YEAR_KEY, String(year))
}

// The classes the header offers: the five before the current one, the current one and the next.
export function classYearOptions() {
  const current = currentClassYear()
  const years = []
  for (let year = current + 1; year >= current - 5; year -= 1) years.push(year)
  if (!years.includes(session.classYear)) years.push(session.classYear)
  return years.sort((a, b) => b - a)
}

export const isSchoolUser = computed(() => session.user?.kind === 'PRINCIPAL_KIND_SCHOOL')
export const isDepartmentUser = computed(() => session.user?.kind === 'PRINCIPAL_KIND_DEPARTMENT')

export function moduleAccess(moduleId) {
  const grant = (session.user?.grants || []).find((g) => g.module === moduleId)
  return grant ? grant.access : 'ACCESS_NONE'
}

export const canWrite = computed(() => moduleAccess('MODULE_EMPLOYMENT') === 'ACCESS_READ_WRITE')

// Returns the reason why the user may not enter `module`, or '' when the user may.
export function moduleRefusal(module) {
  const enabled = session.school?.enabledModules || []
  if (!enabled.includes(module.id)) return `省级用户尚未开启“${module.name}”模块，暂不能进入，请联系省级主管部门。`
  if (moduleAccess(module.id) === 'ACCESS_NONE') {
    return `您的账号没有“${module.name}”模块的权限，请联系学校管理员在账号管理中授权。`
  }
  if (!module.route) return `“${module.name}”模块的页面尚未在本控制台开放。`
  return ''
}

function isStaff(user) {
  return user.kind === 'PRINCIPAL_KIND_SCHOOL' || user.kind === 'PRINCIPAL_KIND_DEPARTMENT'
}

export const STAFF_ONLY_MESSAGE = '本控制台供学校和院系用户使用，请使用学校或院系账号登录。'

// Stores the signed-in user and reads the user's school.
export async function setUser(user) {
  session.user = user
  session.school = null
  if (user && isStaff(user) && user.schoolId) {
    session.school = await api.school(user.schoolId)
  }
}

// Loads the user of the current session cookie; returns false when there is none.
export async function loadSession() {
  if (session.user) return true
  try {
    await setUser(await api.currentUser())
    return true
  } catch {
    session.user = null
    return false
  }
}

export function clearSession() {
  session.user = null
  session.school = null
}

export function staffUser(user) {
  return user && isStaff(user)
}
