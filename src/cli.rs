//! The command line.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// hdnd — cổng tiếp nhận, trả lời ý kiến cử tri và trung tâm thông báo của Hội đồng nhân dân.
#[derive(Debug, Parser)]
#[command(name = "hdnd", version, about, long_about = None)]
pub(crate) struct Cli {
    /// Tệp cấu hình (mặc định: config/hdnd.toml nếu có).
    #[arg(long, global = true, env = "HDND_CONFIG", value_name = "FILE")]
    pub(crate) config: Option<PathBuf>,

    /// Cổng web, thay cho web.port (0: hệ thống tự chọn).
    #[arg(long, global = true, value_name = "PORT")]
    pub(crate) port: Option<u16>,

    #[command(subcommand)]
    pub(crate) command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Chạy dịch vụ: áp dụng migrations, rồi phục vụ cổng thông tin (mặc định).
    Serve,
    /// Áp dụng migrations cho cơ sở dữ liệu rồi thoát.
    Migrate,
    /// Nạp dữ liệu mẫu (chạy lại nhiều lần vẫn an toàn).
    SeedDemo,
    /// Quản lý tài khoản cán bộ.
    #[command(subcommand)]
    Staff(StaffCommand),
    /// Kiểm tra cấu hình.
    #[command(subcommand)]
    Config(ConfigCommand),
    /// Xem và gửi lại thông báo trong hàng đợi (outbox).
    #[command(subcommand)]
    Outbox(OutboxCommand),
    /// Giao và theo dõi nhiệm vụ của cán bộ.
    #[command(subcommand)]
    Task(TaskCommand),
    /// Lịch công tác: họp, tiếp công dân, tiếp xúc cử tri.
    #[command(subcommand)]
    Event(EventCommand),
    /// Khóa API cho ứng dụng dùng Open311 GeoReport v2 (/open311/v2).
    #[command(subcommand)]
    Open311(Open311Command),
}

#[derive(Debug, Subcommand)]
pub(crate) enum Open311Command {
    /// Cấp khóa API mới cho một ứng dụng (thay khóa cũ nếu có); khóa chỉ in ra một lần.
    Key {
        /// Tên ứng dụng (a-z, 0-9, '.', '_', '-').
        client: String,
    },
    /// Thu hồi khóa API của một ứng dụng.
    Revoke {
        /// Tên ứng dụng.
        client: String,
    },
}

#[derive(Debug, Subcommand)]
pub(crate) enum TaskCommand {
    /// Giao một nhiệm vụ.
    Add {
        /// Nội dung nhiệm vụ.
        #[arg(long)]
        title: String,
        /// Tên đăng nhập của người thực hiện.
        #[arg(long)]
        assignee: String,
        /// Hạn hoàn thành, YYYY-MM-DD (ngày theo giờ của Hội đồng).
        #[arg(long)]
        due: String,
        /// Mã hồ sơ liên quan.
        #[arg(long)]
        case: Option<String>,
    },
    /// Liệt kê nhiệm vụ chưa xong đến hạn trong N ngày tới (và quá hạn).
    List {
        #[arg(long, default_value_t = 14)]
        days: i64,
    },
    /// Đánh dấu đã xong.
    Done { id: i64 },
}

#[derive(Debug, Subcommand)]
pub(crate) enum EventCommand {
    /// Thêm một sự kiện vào lịch công tác.
    Add {
        #[arg(long)]
        title: String,
        /// meeting (họp), reception (tiếp công dân) hoặc voter_meeting (tiếp xúc cử tri).
        #[arg(long, default_value = "meeting")]
        kind: String,
        /// Bắt đầu, "YYYY-MM-DD HH:MM" theo giờ của Hội đồng.
        #[arg(long)]
        start: String,
        /// Kết thúc, "YYYY-MM-DD HH:MM".
        #[arg(long)]
        end: Option<String>,
        /// Địa điểm.
        #[arg(long)]
        place: Option<String>,
        /// Công khai trên lịch của cổng thông tin.
        #[arg(long)]
        public: bool,
        /// Tên đăng nhập của người dự, có thể lặp lại.
        #[arg(long = "attendee")]
        attendees: Vec<String>,
    },
    /// Liệt kê sự kiện trong N ngày tới.
    List {
        #[arg(long, default_value_t = 14)]
        days: i64,
    },
}

#[derive(Debug, Subcommand)]
pub(crate) enum OutboxCommand {
    /// Liệt kê thông báo, mới nhất trước.
    List {
        /// Chỉ các thông báo ở trạng thái này: queued, sending, sent, failed, dead, suppressed.
        #[arg(long)]
        status: Option<String>,
        /// Số dòng tối đa.
        #[arg(long, default_value_t = 50)]
        limit: i64,
    },
    /// Xem chi tiết một thông báo.
    Show { id: i64 },
    /// Đưa một thông báo dead hoặc failed trở lại hàng đợi.
    Retry { id: i64 },
}

#[derive(Debug, Subcommand)]
pub(crate) enum StaffCommand {
    /// Thêm một cán bộ.
    Add(Box<StaffAdd>),
    /// Liệt kê cán bộ.
    List,
    /// In đường liên kết dùng một lần để cán bộ liên kết Telegram với tài khoản.
    Link {
        /// Tên đăng nhập của cán bộ.
        login: String,
    },
    /// In đường liên kết bí mật đến lịch công tác riêng (.ics) của cán bộ; cấp lại thì đường cũ hết hiệu lực.
    CalendarLink {
        /// Tên đăng nhập của cán bộ.
        login: String,
    },
}

#[derive(Debug, Args)]
pub(crate) struct StaffAdd {
    /// Tên đăng nhập (a-z, 0-9, '.', '_', '-').
    #[arg(long)]
    pub(crate) login: String,
    /// Họ và tên.
    #[arg(long)]
    pub(crate) name: String,
    /// Vai trò, có thể lặp lại: admin, tiep_nhan, chuyen_vien, thu_ky, dai_bieu, lanh_dao, giai_quyet_to_cao.
    #[arg(long = "role", required = true)]
    pub(crate) roles: Vec<String>,
    /// Đơn vị công tác.
    #[arg(long)]
    pub(crate) unit: Option<String>,
    /// Tên đăng nhập của lãnh đạo trực tiếp.
    #[arg(long)]
    pub(crate) lead: Option<String>,
    /// Thư điện tử.
    #[arg(long)]
    pub(crate) email: Option<String>,
    /// Mã chat Telegram (nhóm có mã âm, ví dụ -1001234567890).
    // A group's id starts with '-': without this, clap takes it for a flag.
    #[arg(long, allow_negative_numbers = true)]
    pub(crate) telegram: Option<String>,
    /// Múi giờ IANA (mặc định: múi giờ của Hội đồng).
    #[arg(long)]
    pub(crate) time_zone: Option<String>,
    /// Ngôn ngữ: vi hoặc en.
    #[arg(long, default_value = "vi")]
    pub(crate) language: String,
    /// Giờ yên lặng theo múi giờ của cán bộ, ví dụ 22:00-06:30: thông báo chờ đến hết giờ này.
    #[arg(long)]
    pub(crate) quiet_hours: Option<String>,
}

#[derive(Debug, Subcommand)]
pub(crate) enum ConfigCommand {
    /// Đọc cấu hình, hồ sơ Hội đồng và giao diện; báo lỗi kèm tệp, khóa và dòng.
    Check,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Cli, clap::Error> {
        Cli::try_parse_from(["hdnd"].iter().chain(args))
    }

    fn staff_add(telegram: &str) -> Result<StaffAdd, clap::Error> {
        let cli = parse(&[
            "staff",
            "add",
            "--login",
            "nhom.tiep-nhan",
            "--name",
            "Nhóm tiếp nhận",
            "--role",
            "tiep_nhan",
            "--telegram",
            telegram,
        ])?;
        match cli.command {
            Some(Command::Staff(StaffCommand::Add(add))) => Ok(*add),
            other => panic!("parsed as {other:?}"),
        }
    }

    #[test]
    fn a_telegram_group_id_is_taken_as_the_value_of_telegram() {
        assert_eq!(
            staff_add("-1001234567890").unwrap().telegram.as_deref(),
            Some("-1001234567890")
        );
        assert_eq!(
            staff_add("123456789").unwrap().telegram.as_deref(),
            Some("123456789")
        );
    }

    #[test]
    fn a_flag_after_telegram_is_still_a_flag() {
        // Only numbers may start with '-': a forgotten value is not swallowed silently.
        assert!(staff_add("--time-zone").is_err());
    }
}
